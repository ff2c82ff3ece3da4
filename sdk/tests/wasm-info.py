#!/usr/bin/env python3
"""wasm-info.py — print the imports, exports, memory and tags of a wasm module.

    sdk/tests/wasm-info.py MODULE.wasm            human-readable summary
    sdk/tests/wasm-info.py --check MODULE.wasm    also verify the Kandelo guest ABI:
        imports are exactly kandelo.syscall (7 x i32 -> i32) and env.memory (shared,
        max 65536 pages), _start () -> () is exported.  Exit status 1 on mismatch.

Standard library only (wabt's tools may predate the exception-handling opcodes).
"""
import sys

KIND = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
VALTYPE = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
           0x70: "funcref", 0x6F: "externref", 0x69: "exnref"}


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.d, self.p, self.end = data, pos, len(data) if end is None else end

    def byte(self):
        b = self.d[self.p]
        self.p += 1
        return b

    def u32(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.u32()
        s = self.d[self.p:self.p + n].decode("utf-8", "replace")
        self.p += n
        return s

    def limits(self):
        flags = self.byte()
        lo = self.u32()
        hi = self.u32() if flags & 1 else None
        return lo, hi, bool(flags & 2)


def parse(data):
    if data[:4] != b"\0asm":
        raise SystemExit("not a wasm module")
    r = Reader(data, 8)
    types, imports, exports, funcs, tags = [], [], [], [], []
    memories, start = [], None
    while r.p < len(data):
        sid = r.byte()
        size = r.u32()
        s = Reader(data, r.p, r.p + size)
        if sid == 1:
            for _ in range(s.u32()):
                form = s.byte()
                assert form == 0x60, "unsupported type form 0x%x" % form
                params = [VALTYPE.get(s.byte(), "?") for _ in range(s.u32())]
                results = [VALTYPE.get(s.byte(), "?") for _ in range(s.u32())]
                types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                mod, nm, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    desc = ("func", s.u32())
                    funcs.append(desc[1])
                elif kind == 1:
                    s.byte()
                    desc = ("table", s.limits())
                elif kind == 2:
                    desc = ("memory", s.limits())
                elif kind == 3:
                    desc = ("global", VALTYPE.get(s.byte(), "?"), s.byte())
                elif kind == 4:
                    s.byte()
                    desc = ("tag", s.u32())
                else:
                    raise SystemExit("bad import kind %d" % kind)
                imports.append((mod, nm, desc))
        elif sid == 3:
            funcs.extend(s.u32() for _ in range(s.u32()))
        elif sid == 5:
            memories.extend(s.limits() for _ in range(s.u32()))
        elif sid == 7:
            for _ in range(s.u32()):
                nm, kind, idx = s.name(), s.byte(), s.u32()
                exports.append((nm, KIND.get(kind, "?"), idx))
        elif sid == 8:
            start = s.u32()
        elif sid == 13:
            for _ in range(s.u32()):
                s.byte()
                tags.append(s.u32())
        r.p += size
    return types, imports, exports, funcs, tags, memories, start


def sig(types, t):
    p, res = types[t]
    return "(%s) -> (%s)" % (", ".join(p), ", ".join(res))


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    data = open(args[0], "rb").read()
    types, imports, exports, funcs, tags, memories, start = parse(data)
    problems = []
    print("imports:")
    for mod, nm, desc in imports:
        if desc[0] == "func":
            print("  func   %s.%s %s" % (mod, nm, sig(types, desc[1])))
        elif desc[0] == "memory":
            lo, hi, shared = desc[1]
            print("  memory %s.%s min=%d max=%s%s" % (mod, nm, lo, hi, " shared" if shared else ""))
        else:
            print("  %-6s %s.%s" % (desc[0], mod, nm))
    print("exports:")
    for nm, kind, idx in exports:
        extra = ""
        if kind == "func":
            extra = " " + sig(types, funcs[idx])
        print("  %-6s %s%s" % (kind, nm, extra))
    print("tags: %d defined" % len(tags))
    print("start function: %s" % ("yes" if start is not None else "no"))
    if check:
        got = sorted((m, n, d[0]) for m, n, d in imports)
        if got != [("env", "memory", "memory"), ("kandelo", "syscall", "func")]:
            problems.append("imports are %s, want env.memory and kandelo.syscall only" % got)
        for m, n, d in imports:
            if d[0] == "func" and types[d[1]] != (["i32"] * 7, ["i32"]):
                problems.append("kandelo.syscall has signature %s" % sig(types, d[1]))
            if d[0] == "memory":
                lo, hi, shared = d[1]
                if not shared:
                    problems.append("env.memory is not shared")
                if hi != 65536:
                    problems.append("env.memory max is %s pages, want 65536" % hi)
        ex = {nm: (kind, idx) for nm, kind, idx in exports}
        if "_start" not in ex or ex["_start"][0] != "func":
            problems.append("_start is not exported")
        elif types[funcs[ex["_start"][1]]] != ([], []):
            problems.append("_start has signature %s" % sig(types, funcs[ex["_start"][1]]))
        for p in problems:
            print("ABI CHECK FAILED: " + p, file=sys.stderr)
        if not problems:
            print("ABI check: ok")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
