#!/usr/bin/env python3
"""Generates the kernel's syscall table and its documentation from two sources:

  sdk/include/kandelo/abi.h        the numbers (the one source the guest libc uses too), and
                                   Sources/KandeloABI/include/KandeloABI.h for the runner's
                                   own requests (KCH_NR_*);
  scripts/syscalls.txt             the status of each number, edited by hand.

It writes
  Sources/Kernel/Syscalls/SyscallTable.swift   the table Kernel.init dispatches through,
  Sources/Kernel/ABI/SyscallNames.swift        names for diagnostics,
  Documentation/syscalls.md                    the table a user reads to know what works.

Usage: gen-syscalls.py          regenerate the three files
       gen-syscalls.py --check  exit 1 (saying why) if a generated file is out of date, a
                                spec line is malformed, a number lacks a line, a handler
                                named in the spec does not exist, or a named test does not.
KernelTests (SyscallTableTests) runs --check, so `swift test` fails on any of these.
"""
import os, re, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ABI_H = "sdk/include/kandelo/abi.h"
CHANNEL_H = "Sources/KandeloABI/include/KandeloABI.h"
SPEC = "scripts/syscalls.txt"
TABLE = "Sources/Kernel/Syscalls/SyscallTable.swift"
NAMES = "Sources/Kernel/ABI/SyscallNames.swift"
DOC = "Documentation/syscalls.md"
STATUSES = ("supported", "partial", "runner", "enosys", "protocol")

errors = []


def rel(p):
    return os.path.join(root, p)


def numbers():
    """(nr, name, kind) for every guest number in abi.h and every KCH_NR_* runner request."""
    out = []
    for line in open(rel(ABI_H)):
        m = re.match(r"#define\s+__NR_(\w+)\s+(\d+)\s*(/\*.*)?$", line.strip())
        if m:
            out.append((int(m.group(2)), m.group(1), "guest"))
    for line in open(rel(CHANNEL_H)):
        m = re.match(r"#define\s+(KCH_NR_\w+)\s+(0x[0-9a-fA-F]+|\d+)", line.strip())
        if m:
            out.append((int(m.group(2), 0), m.group(1), "runner"))
    return sorted(out)


def spec():
    """name -> (status, handler, note, [tests], line number)."""
    rows = {}
    for i, raw in enumerate(open(rel(SPEC)), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("|")]
        if len(cols) != 5:
            errors.append(f"{SPEC}:{i}: expected 5 columns (name | status | handler | note | tests), got {len(cols)}")
            continue
        name, status, handler, note, tests = cols
        where = f"{SPEC}:{i} ({name})"
        if name in rows:
            errors.append(f"{where}: a second line for {name}")
        if status not in STATUSES:
            errors.append(f"{where}: status must be one of {', '.join(STATUSES)}")
        if status in ("supported", "partial", "protocol"):
            if not re.fullmatch(r"sys_\w+", handler):
                errors.append(f"{where}: a {status} row names its sys_ handler")
        elif status == "enosys" and handler:
            errors.append(f"{where}: an enosys row has no handler")
        if status in ("partial", "runner", "enosys") and not note:
            errors.append(f"{where}: a {status} row says why in its note")
        if "|" in note or '"' in note or "\\" in note:
            errors.append(f"{where}: the note may not contain | \" or \\")
        tests = tests.split()
        if status in ("supported", "partial", "runner") and not tests:
            errors.append(f"{where}: a {status} row names the tests that cover it")
        rows[name] = (status, handler, note, tests, i)
    return rows


def swift_sources(top):
    text = {}
    for dp, _, fs in os.walk(rel(top)):
        for f in fs:
            if f.endswith(".swift"):
                p = os.path.join(dp, f)
                text[os.path.relpath(p, root)] = open(p).read()
    return text


def check_tests(rows):
    tests = swift_sources("Tests")
    files = set()
    for dp, _, fs in os.walk(rel("Tests")):
        files.update(fs)
    for name, (status, _, _, names, i) in rows.items():
        for t in names:
            where = f"{SPEC}:{i} ({name})"
            if t.endswith(".c") or t.endswith(".sh"):
                if t not in files:
                    errors.append(f"{where}: no test file {t} under Tests/")
                continue
            m = re.fullmatch(r"(\w+)\.(\w+)", t)
            if not m:
                errors.append(f"{where}: test {t!r} is neither Suite.function, name.c nor name.sh")
                continue
            suite, func = m.groups()
            decl = re.compile(r"\b(struct|class|extension|enum)\s+%s\b" % suite)
            fn = re.compile(r"\bfunc\s+%s\s*\(" % func)
            if not any(decl.search(s) and fn.search(s) for s in tests.values()):
                errors.append(f"{where}: no test function {func} in a file declaring {suite} under Tests/")


def check_handlers(rows):
    src = "\n".join(swift_sources("Sources/Kernel").values())
    for name, (status, handler, _, _, i) in rows.items():
        if handler and status != "runner":
            if not re.search(r"static func %s\(_ \w+: Kernel, _ \w+: GuestThread\) throws\(SyscallError\) -> Int32" % handler, src):
                errors.append(f"{SPEC}:{i} ({name}): no `static func {handler}(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32` in Sources/Kernel")
            elif not re.search(r"///[^\n]*\n\s*static func %s\(" % handler, src):
                errors.append(f"{SPEC}:{i} ({name}): {handler} has no /// doc line")


HOWTO = """\
How to add or change a syscall:
  1. abi.h already names every Linux number; give a new Kandelo-private one its
     `#define __NR_kandelo_<name> <n>` line there (sdk/ABI.md says how).
  2. Write the handler: `/// one line` then
     `static func sys_<linux name>(_ k: Kernel, _ t: GuestThread) throws(SyscallError) -> Int32`
     in the family's file under Sources/Kernel/Syscalls/.
  3. Edit the syscall's one line in scripts/syscalls.txt:
     `name | supported | sys_name | | SuiteTests.testFunction corpus_prog.c script.sh`
     (partial: the note says what is missing; enosys: no handler, the note says why).
  4. Run `python3 scripts/gen-syscalls.py` and commit the spec with the three generated
     files (Sources/Kernel/Syscalls/SyscallTable.swift, Sources/Kernel/ABI/SyscallNames.swift,
     Documentation/syscalls.md). `swift test --filter SyscallTableTests` runs the check.
  5. A merge conflict in a generated file: resolve scripts/syscalls.txt (one line per
     syscall, so conflicts stay small), then run the generator again: never hand-merge
     the generated files."""


def generate(nums, rows):
    # Every number needs exactly one line, and every line a number.
    known = {name for _, name, _ in nums}
    for nr, name, kind in nums:
        if name not in rows:
            errors.append(f"{SPEC}: no line for {name} ({nr}); add `{name} | enosys | | <reason> |` or its handler")
    for name, row in rows.items():
        if name not in known:
            errors.append(f"{SPEC}:{row[4]}: {name} is not a number in {ABI_H} or {CHANNEL_H}")

    gen = "GENERATED by scripts/gen-syscalls.py from sdk/include/kandelo/abi.h, " \
          "Sources/KandeloABI/include/KandeloABI.h and scripts/syscalls.txt: do not edit."
    def swift_str(s):
        return '"' + s + '"'

    t = [f"// {gen}", "//", "// Every number the kernel can be asked, and what it does about it. Kernel.init builds",
         "// its dispatch from this table (a duplicate number stops start-up); Documentation/syscalls.md",
         "// is the same table for readers.", "//"]
    t += ["// " + l if l else "//" for l in HOWTO.split("\n")]
    t += ["import KandeloABI", "", "extension Kernel {", "    static let syscallTable: [SyscallEntry] = ["]
    for nr, name, kind in nums:
        if name not in rows:
            continue
        status, handler, note, _, _ = rows[name]
        if status in ("supported", "protocol"):
            s = f".supported({handler})"
        elif status == "partial":
            s = f".partial({handler}, {swift_str(note)})"
        elif status == "runner":
            s = f".runner({swift_str(note)})"
        else:
            s = f".enosys({swift_str(note)})"
        number = name if kind == "runner" else str(nr)
        shown = name.lower() if kind == "runner" else name
        t.append(f"        SyscallEntry({number}, {swift_str(shown)}, {s}),")
    t += ["    ]", "}", ""]

    guest = [(nr, name) for nr, name, kind in nums if kind == "guest"]
    n = [f"// {gen}", "// Names of the guest syscall numbers, for diagnostics.",
         "public enum SyscallNames {", "    public static func name(_ nr: Int32) -> String {", "        switch nr {"]
    for nr, name in guest:
        n.append(f"        case {nr}: \"{name}\"")
    n += ["        default: \"syscall_\\(nr)\"", "        }", "    }", "",
          "    /// Number of named syscalls in abi.h.", f"    public static let count = {len(guest)}", "}", ""]

    counts = {s: 0 for s in STATUSES}
    for nr, name, kind in nums:
        if name in rows and kind == "guest":
            counts[rows[name][0]] += 1
    d = [f"<!-- {gen} -->", "# Syscalls: what works", "",
         "Every number in `sdk/include/kandelo/abi.h` (Linux's 32-bit asm-generic table, time64 only,",
         "plus the Kandelo-private range), with what the kernel does about it:", "",
         "- **supported**: the handler does the call's job as Linux does;",
         "- **partial**: the handler does part of it, and the note says what is missing;",
         "- **runner**: answered inside the guest's runner without a trip to the kernel;",
         "- **enosys**: the call fails with ENOSYS, for the reason given (the kernel logs the",
         "  first call of each by name, with the reason).", "",
         f"{len(guest)} numbers: {counts['supported']} supported, {counts['partial']} partial, "
         f"{counts['runner']} in the runner, {counts['enosys']} ENOSYS.", "",
         "Tests: `Suite.function` is a Swift test (`swift test --filter Suite/function`), `name.c` a",
         "guest program in `Tests/GuestCorpus` (compared with the same program built natively) or",
         "`Tests/FaultGuests`, `name.sh` a shell script in `Tests/ShellScripts/corpus`.", "",
         "```", HOWTO, "```", "",
         "| nr | syscall | status | handler | note | tests |", "|---:|---|---|---|---|---|"]
    for nr, name, kind in nums:
        if kind != "guest" or name not in rows:
            continue
        status, handler, note, tests, _ = rows[name]
        h = f"`{handler}`" if handler else ""
        d.append(f"| {nr} | {name} | {status} | {h} | {note} | {' '.join(tests)} |")
    d += ["", "## Runner requests", "",
          "Not guest syscalls: what a runner says to the kernel about itself (`KCH_NR_*` in",
          "`Sources/KandeloABI/include/KandeloABI.h`), dispatched through the same table.", "",
          "| request | handler | note | tests |", "|---|---|---|---|"]
    for nr, name, kind in nums:
        if kind != "runner" or name not in rows:
            continue
        status, handler, note, tests, _ = rows[name]
        d.append(f"| {name} | `{handler}` | {note} | {' '.join(tests)} |")
    d.append("")
    return {TABLE: "\n".join(t), NAMES: "\n".join(n), DOC: "\n".join(d)}


def main():
    nums = numbers()
    rows = spec()
    out = generate(nums, rows)
    check_handlers(rows)
    check_tests(rows)
    check = "--check" in sys.argv
    if check:
        for path, text in out.items():
            current = open(rel(path)).read() if os.path.exists(rel(path)) else ""
            if current != text:
                errors.append(f"{path} is out of date: run python3 scripts/gen-syscalls.py")
    if errors:
        sys.exit("\n".join(errors))
    if not check:
        for path, text in out.items():
            open(rel(path), "w").write(text)


main()
