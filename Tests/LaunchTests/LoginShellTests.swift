// LoginShellTests.swift: "a shell in one line" — kandelo-launch with no program runs the
// image's login shell (its /etc/passwd entry for --uid, else /bin/sh), through a host pty
// as a person at a terminal would, standalone (--image) and through the service (--mount);
// and the refusals that name an ABI: an image made for a newer guest ABI, a module built
// for another ABI.
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Drives `argv` on a host pty: waits for the prompt, runs a command, types `exit 3`,
/// reads to EOF and prints the launcher's exit status.
private let ptyDriver = """
    import os, pty, sys, time, select
    argv = sys.argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)

    """ + PtyScript.expectFunction(defaultTimeout: 60) + """
    expect('PROMPT$ ')
    os.write(fd, b'echo "shell=$0 uid=$(id -u) tty=$(tty)"\\r')
    expect('shell='); expect('PROMPT$ ')
    os.write(fd, b'exit 3\\r')
    end = time.time() + 60
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
                if not data: break
            except OSError: break
    _, status = os.waitpid(pid, 0)
    print('exit', os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    """

private func drive(_ dir: String, _ argv: [String]) throws -> ShellResult {
    try ptyDriver.write(toFile: "\(dir)/pty-driver.py", atomically: true, encoding: .utf8)
    return sh("python3 '\(dir)/pty-driver.py' " + argv.map { "'\($0)'" }.joined(separator: " "))
}

@Suite(.serialized) struct LoginShellTests {
    @Test func shellWithNoProgramOnAHostPtyThroughTheServiceThenStandalone() throws {
        let s = try ServiceFixture("loginpty")
        defer { s.stop() }
        // No -t: a terminal on stdin is enough, as with `docker run -it`.
        let svc = try drive(s.dir, [s.launcher, "-e", "PS1=PROMPT$ ", "--mount", s.mnt])
        #expect(svc.out.contains("exit 3"), "service: \(svc)")
        s.stop()
        #expect(!s.running)
        let alone = try drive(s.dir, [s.launcher, "-e", "PS1=PROMPT$ ", "--image", s.image])
        #expect(alone.out.contains("exit 3"), "standalone: \(alone)")
    }

    @Test func theShellComesFromTheLiveImagesPasswd() throws {
        let s = try ServiceFixture("loginpasswd")
        defer { s.stop() }
        // Edited through the mount a moment before: the service reads the live image.
        let edit = sh("""
            printf '#!/bin/sh\\necho "login shell of uid $(id -u)"\\nexec /bin/sh "$@"\\n' > '\(s.mnt)/bin/loginsh' &&
            chmod 755 '\(s.mnt)/bin/loginsh' &&
            sed -i 's#^user:\\(.*\\):/bin/sh$#user:\\1:/bin/loginsh#' '\(s.mnt)/etc/passwd' && grep '^user:' '\(s.mnt)/etc/passwd'
            """)
        #expect(edit.out.contains(":/bin/loginsh"), "\(edit)")
        let user = sh("printf 'echo \"running $0\"; exit 4\\n' | '\(s.launcher)' --mount '\(s.mnt)' --uid 1000 --gid 1000")
        #expect(user.status == 4 && user.out == "login shell of uid 1000\nrunning /bin/sh\n", "\(user)")
        // root keeps /bin/sh; nobody's shell is /bin/false; a uid without an entry gets /bin/sh.
        let root = sh("printf 'echo \"running $0\"; exit 5\\n' | '\(s.launcher)' --mount '\(s.mnt)'")
        #expect(root.status == 5 && root.out == "running /bin/sh\n", "\(root)")
        let nobody = sh("printf 'echo no\\n' | '\(s.launcher)' --mount '\(s.mnt)' --uid 65534")
        #expect(nobody.status == 1 && nobody.out.isEmpty, "/bin/false: \(nobody)")
        let stranger = sh("printf 'echo \"running $0 as $(id -u)\"; exit 6\\n' | '\(s.launcher)' --mount '\(s.mnt)' --uid 4242")
        #expect(stranger.status == 6 && stranger.out == "running /bin/sh as 4242\n", "\(stranger)")
        // Standalone reads the same passwd from the image file.
        s.stop()
        let alone = sh("printf 'exit 7\\n' | '\(s.launcher)' --image '\(s.image)' --uid 1000 --gid 1000")
        #expect(alone.status == 7 && alone.out == "login shell of uid 1000\n", "\(alone)")
    }

    @Test func anImageForANewerGuestABIIsRefusedNamingBoth() throws {
        let dir = Launch.workDir("newabi")
        try Launch.guest(dir, "hello", Launch.helloSource)
        let image = "\(dir)/newer.vfs"
        let b = sh("'\(Launch.imageTool)' build --from-dir '\(dir)/root' -o '\(image)' --linux-abi 7 --quiet")
        #expect(b.status == 0, "\(b)")
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let r = Launch.run(image, "/bin/hello")
        #expect(r.status == 125, "\(r)")
        #expect(r.err == "kandelo-launch: \(image) was built for Kandelo for Linux guest ABI 7, newer than ABI 1 that this Kandelo runs: install a newer Kandelo for Linux (or rebuild the image's programs for ABI 1)\n", "\(r)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before)
        // Declaring the running ABI (or an older one) is fine.
        let ok = "\(dir)/current.vfs"
        #expect(sh("'\(Launch.imageTool)' build --from-dir '\(dir)/root' -o '\(ok)' --linux-abi 1 --quiet").status == 0)
        #expect(Launch.run(ok, "/bin/hello").status == 42)
        let meta = sh("'\(Launch.imageTool)' inspect '\(ok)' --metadata")
        #expect(meta.out.contains("\"linuxAbi\":1") || meta.out.contains("\"linuxAbi\": 1"), "\(meta)")
    }

    @Test func aModuleBuiltForAnotherABISaysWhich() throws {
        let dir = Launch.workDir("foreignabi")
        // Two hand-assembled modules: a WASI one (imports wasi_snapshot_preview1.fd_write)
        // and one for another Kandelo ABI (imports kandelo.host_call).
        let py = """
            import struct, sys
            def leb(n):
                out = b''
                while True:
                    b = n & 0x7f; n >>= 7
                    out += bytes([b | (0x80 if n else 0)])
                    if not n: return out
            def name(s): return leb(len(s)) + s.encode()
            def section(i, body): return bytes([i]) + leb(len(body)) + body
            def module(mod, field):
                types = section(1, b'\\x01\\x60\\x04\\x7f\\x7f\\x7f\\x7f\\x01\\x7f')
                imports = section(2, b'\\x01' + name(mod) + name(field) + b'\\x00\\x00')
                return b'\\x00asm\\x01\\x00\\x00\\x00' + types + imports
            open(sys.argv[1] + '/root/bin/wasi-tool', 'wb').write(module('wasi_snapshot_preview1', 'fd_write'))
            open(sys.argv[1] + '/root/bin/other-kandelo', 'wb').write(module('kandelo', 'host_call'))
            """
        try py.write(toFile: "\(dir)/mk.py", atomically: true, encoding: .utf8)
        #expect(sh("python3 '\(dir)/mk.py' '\(dir)' && chmod 755 '\(dir)/root/bin/wasi-tool' '\(dir)/root/bin/other-kandelo'").status == 0)
        let image = try Launch.image(dir)
        let wasi = Launch.run(image, "/bin/wasi-tool")
        #expect(wasi.status == 126, "\(wasi)")
        #expect(wasi.err.contains("a WASI program (it imports wasi_snapshot_preview1.fd_write), not built for Kandelo for Linux guest ABI 1"), "\(wasi)")
        let other = Launch.run(image, "/bin/other-kandelo")
        #expect(other.status == 126, "\(other)")
        #expect(other.err.contains("built for another Kandelo ABI (it imports kandelo.host_call), not for Kandelo for Linux guest ABI 1"), "\(other)")
    }
}
