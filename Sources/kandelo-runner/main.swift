// kandelo-runner: executes one guest process for the kernel. Started by the kernel with
// its channel on fd 3, the kernel's doorbell on fd 4 and the module on fd 5; not a
// command for people (kandelo-launch is).
#if canImport(Glibc)
import Glibc
#endif
import Engine

func usage(_ message: String) -> Never {
    let line = "kandelo-runner: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

var config = RunnerConfiguration()
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    guard let v = args.popFirst(), let n = Int(v) else {
        usage("started by the Kandelo kernel, not by hand (see kandelo-launch --help)")
    }
    switch a {
    case "--channel": config.channelFD = Int32(n)
    case "--doorbell": config.doorbellFD = Int32(n)
    case "--module": config.moduleFD = Int32(n)
    case "--max-pages": config.maxPages = n
    case "--spin-us": config.spinMicroseconds = n
    default:
        usage("unknown option \(a)")
    }
}
if let s = getenv("KANDELO_SPIN_US"), let n = Int(String(cString: s)) { config.spinMicroseconds = n }
Runner(config: config).run()
