// node-harness.mjs — OPTIONAL development check of the guest ABI with Node.js.
//
//   node sdk/tests/node-harness.mjs MODULE.wasm [ARGS...]
//
// A throwaway, minimal "kernel" implementing just what small test programs need,
// written from sdk/ABI.md to check that the start-up protocol, the syscall import
// and the memory import agree with what crt1/musl do.  It is NOT the Kandelo
// kernel and not a required tool.  Node 20 only knows the legacy exception-handling
// encoding, so modules that contain try_table (setjmp users) cannot be loaded.
import fs from "node:fs";

const NR = {};
for (const line of fs.readFileSync(new URL("../include/kandelo/abi.h", import.meta.url), "utf8").split("\n")) {
    const m = /^#define (__NR_\w+|KANDELO_\w+)\s+(\d+)\b/.exec(line);
    if (m) NR[m[1].replace(/^__NR_/, "")] = Number(m[2]);
}
const E = { EBADF: 9, ENOMEM: 12, EFAULT: 14, EINVAL: 22, ENOTTY: 25, ENOSYS: 38 };
const PAGE = 65536, GPAGE = 4096;

const [file, ...rest] = process.argv.slice(2);
if (!file) { console.error("usage: node node-harness.mjs MODULE.wasm [ARGS...]"); process.exit(2); }
const bytes = fs.readFileSync(file);
const module = new WebAssembly.Module(bytes);
// The declared minimum of the memory import (the JS API does not expose it).
function memoryMinimum(b) {
    let p = 8;
    const u32 = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
    const name = () => { const n = u32(); p += n; };
    while (p < b.length) {
        const id = b[p++], size = u32(), end = p + size;
        if (id === 2) {
            for (let n = u32(); n > 0; n--) {
                name(); name();
                const kind = b[p++];
                if (kind === 2) { const fl = b[p++]; return u32(); }
                if (kind === 0) u32(); else if (kind === 1) { p++; const fl = b[p++]; u32(); if (fl & 1) u32(); }
                else if (kind === 3) p += 2; else if (kind === 4) { p++; u32(); }
            }
        }
        p = end;
    }
    return 1;
}
// Maximum 1 GiB: smaller than the module's declared 4 GiB, which import matching
// allows (ABI.md "Memory").
let memory = new WebAssembly.Memory({ initial: memoryMinimum(bytes), maximum: 16384, shared: true });
const u8 = () => new Uint8Array(memory.buffer);
const dv = () => new DataView(memory.buffer);

// ---- the start-up block (ABI.md "Start-up") ---------------------------------------
const argv = [file, ...rest];
const envp = ["HOME=/", "PATH=/bin:/usr/bin", "KANDELO=node-harness"];
function buildStartup(base) {
    const enc = new TextEncoder();
    const strs = [...argv, ...envp, argv[0], "wasm32"].map(s => enc.encode(s + "\0"));
    const auxv = [[6, GPAGE], [17, 100], [11, 0], [12, 0], [13, 0], [14, 0], [23, 0], [16, 0],
                  [25, "random"], [31, "execfn"], [15, "platform"], [0, 0]];
    let words = 1 + argv.length + 1 + envp.length + 1 + auxv.length * 2;
    let off = (words * 4 + 15) & ~15;
    const randomOff = off; off += 16;
    const strOffs = [];
    for (const s of strs) { strOffs.push(off); off += s.length; }
    const size = (off + 15) & ~15;
    const buf = new Uint8Array(size), d = new DataView(buf.buffer);
    let w = 0;
    const put = v => { d.setUint32(w, v >>> 0, true); w += 4; };
    put(argv.length);
    argv.forEach((_, i) => put(base + strOffs[i])); put(0);
    envp.forEach((_, i) => put(base + strOffs[argv.length + i])); put(0);
    const special = { random: base + randomOff, execfn: base + strOffs[strs.length - 2],
                      platform: base + strOffs[strs.length - 1] };
    for (const [t, v] of auxv) { put(t); put(typeof v === "string" ? special[v] : v); }
    for (let i = 0; i < 16; i++) buf[randomOff + i] = (Math.random() * 256) | 0;
    strs.forEach((s, i) => buf.set(s, strOffs[i]));
    return buf;
}
const startupSize = buildStartup(0).length;

// ---- memory management: brk refuses to grow, mmap takes pages from the end -------
let heapTop = 0;    // set after instantiation from __heap_base
function grow(bytes) {
    const need = heapTop + bytes;
    const have = memory.buffer.byteLength;
    if (need > have) {
        try { memory.grow(Math.ceil((need - have) / PAGE)); } catch { return -E.ENOMEM; }
    }
    const addr = heapTop;
    heapTop = need;
    u8().fill(0, addr, need);
    return addr;
}

// ---- signals (ABI.md "Signals"): handlers only, no masks, delivered at once ----
let sigword = 0;
const handlers = new Map();      // sig -> { handler, flags }
const pending = [];
function sendSignal(sig) {
    const h = handlers.get(sig);
    if (!h || h.handler === 0 || h.handler === 1) return 0;   // SIG_DFL/SIG_IGN: ignored here
    pending.push(sig);
    if (sigword) Atomics.store(new Int32Array(memory.buffer), sigword >> 2, 1);
    return 0;
}

class Exit { constructor(code) { this.code = code; } }
const dec = new TextDecoder();
const str = p => { const a = u8(); let e = p; while (a[e]) e++; return dec.decode(a.slice(p, e)); };
const unknown = new Set();

const trace = process.env.KANDELO_TRACE === "1";
const nrName = new Map(Object.entries(NR).filter(([k]) => !k.startsWith("KANDELO")).map(([k, v]) => [v, k]));
function syscall(nr, a, b, c, d, e, f) {
    if (trace) console.error(`[harness] ${nrName.get(nr) ?? nr}(${[a, b, c, d, e, f].map(x => x >>> 0).join(", ")})`);
    switch (nr) {
    case NR.kandelo_startup_size: return startupSize;
    case NR.kandelo_startup_copy: {
        if (b < startupSize) return -E.EINVAL;
        u8().set(buildStartup(a >>> 0), a >>> 0);
        return startupSize;
    }
    case NR.kandelo_set_sigword: sigword = a >>> 0; return 0;
    case NR.rt_sigaction: {
        if (c) {
            const o = handlers.get(a) || { handler: 0, flags: 0 };
            dv().setUint32(c, o.handler, true); dv().setUint32(c + 4, o.flags, true);
        }
        if (b) handlers.set(a, { handler: dv().getUint32(b, true), flags: dv().getUint32(b + 4, true) });
        return 0;
    }
    case NR.kill: case NR.tkill: return sendSignal(b);
    case NR.kandelo_sigdequeue: {
        const sig = pending.shift();
        if (!sig) return 0;
        const h = handlers.get(sig);
        u8().fill(0, a, a + NR.KANDELO_SIGINFO_SIZE);
        dv().setInt32(a, sig, true);                 // si_signo; si_code 0 = SI_USER
        u8().fill(0, b, b + NR.KANDELO_UC_SIZE);
        dv().setUint32(c + NR.KANDELO_KSIGACTION_HANDLER, h.handler, true);
        dv().setUint32(c + NR.KANDELO_KSIGACTION_FLAGS, h.flags, true);
        return sig;
    }
    case NR.kandelo_sigreturn: return 0;
    case NR.set_tid_address: return 1;
    case NR.write: {
        if (a !== 1 && a !== 2) return -E.EBADF;
        fs.writeSync(a, u8().slice(b >>> 0, (b >>> 0) + (c >>> 0)));
        return c;
    }
    case NR.writev: {
        if (a !== 1 && a !== 2) return -E.EBADF;
        let n = 0;
        for (let i = 0; i < c; i++) {
            const base = dv().getUint32(b + 8 * i, true), len = dv().getUint32(b + 8 * i + 4, true);
            if (len) fs.writeSync(a, u8().slice(base, base + len));
            n += len;
        }
        return n;
    }
    case NR.ioctl: return -E.ENOTTY;
    case NR.fcntl64: {  // F_GETFD/F_GETFL of fds 0-2 only (busybox printf checks fd 1 is open)
        if (a < 0 || a > 2) return -E.EBADF;
        return b === 1 ? 0 : b === 3 ? 2 /* O_RDWR */ : -E.EINVAL;
    }
    case NR.brk: return heapTop;        // never grows: musl's malloc falls back to mmap
    case NR.mmap2: {
        if (!(d & 0x20)) return -E.ENOSYS;                      // MAP_ANONYMOUS only
        heapTop = (heapTop + GPAGE - 1) & ~(GPAGE - 1);
        return grow(((b >>> 0) + GPAGE - 1) & ~(GPAGE - 1));
    }
    case NR.munmap: case NR.mprotect: case NR.madvise: return 0;
    case NR.rt_sigprocmask: return 0;
    case NR.getpid: case NR.gettid: return 1;
    case NR.clock_gettime64: {
        const ns = process.hrtime.bigint();
        dv().setBigInt64(b, ns / 1000000000n, true);
        dv().setBigInt64(b + 8, ns % 1000000000n, true);
        return 0;
    }
    case NR.exit: case NR.exit_group: throw new Exit(a);
    default:
        if (!unknown.has(nr)) { unknown.add(nr); console.error(`[harness] ENOSYS: syscall ${nr}`); }
        return -E.ENOSYS;
    }
}

const instance = new WebAssembly.Instance(module, {
    env: { memory },
    kandelo: { syscall },
});
heapTop = instance.exports.__heap_base.value;
try {
    instance.exports._start();
    console.error("[harness] _start returned");
    process.exit(125);
} catch (e) {
    if (e instanceof Exit) process.exit(e.code & 255);
    throw e;
}
