// ForeignABI.swift: naming the ABI a module was built for when it is not ours, so that
// "cannot run" says which toolchain made it and what to do. A Kandelo for Linux guest
// imports exactly kandelo.syscall and a shared env.memory (sdk/ABI.md §1, guest ABI
// KANDELO_ABI_VERSION); anything else is recognised by its imports.
import KandeloABI

enum ForeignABI {
    static var ours: String { "Kandelo for Linux guest ABI \(KANDELO_ABI_VERSION) (imports kandelo.syscall and a shared env.memory only)" }

    /// One line for a module whose imports are not (only) ours; `imports` lists them all.
    static func describe(_ imports: [(module: String, name: String)]) -> String {
        let foreign = imports.filter { !($0.module == "kandelo" && $0.name == "syscall") && !($0.module == "env" && $0.name == "memory") }
        guard let first = foreign.first else { return "not a Kandelo guest (build it with kandelo-cc)" }
        let named = "\(first.module).\(first.name)"
        if let w = foreign.first(where: { $0.module.hasPrefix("wasi") }) {
            return "a WASI program (it imports \(w.module).\(w.name)), not built for \(ours): rebuild it with kandelo-cc"
        }
        if foreign.contains(where: { $0.module == "env" && ($0.name.hasPrefix("emscripten_") || $0.name.hasPrefix("__syscall_")) }) {
            return "an Emscripten program (it imports \(named)), not built for \(ours): rebuild it with kandelo-cc"
        }
        if let k = foreign.first(where: { $0.module == "kandelo" }) {
            return "built for another Kandelo ABI (it imports kandelo.\(k.name)), not for \(ours): rebuild it with this Kandelo's kandelo-cc"
        }
        return "not a Kandelo guest: it imports \(named); \(ours): build it with kandelo-cc"
    }
}
