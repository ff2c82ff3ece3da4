// InstallTests.swift: scripts/install.sh into a temporary prefix, used as a person would
// use installed tools — `man`, bash completion, the commands and the SDK by absolute path
// from an empty environment (`env -i`), the mount(8) helper — then scripts/uninstall.sh
// removes exactly what was installed.
//
// install.sh builds release products with `swift build` while `swift test` holds the build
// directory's lock: KANDELO_SWIFTPM_IGNORE_LOCK=1 (see scripts/setup.sh).
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension FirstFiveMinutesTests {
    @Test func installUseFromACleanEnvironmentUninstall() throws {
        let work = "/tmp/klaunch-test-\(getpid())-install"
        let prefix = "\(work)/prefix"
        // Something of someone else's in the prefix: uninstall must leave it.
        _ = sh("rm -rf '\(work)' && mkdir -p '\(prefix)/bin' '\(work)/mnt' '\(work)/tree/bin' && echo mine > '\(prefix)/bin/other-tool'")
        let inst = sh("cd '\(Launch.repo)' && KANDELO_SWIFTPM_IGNORE_LOCK=1 scripts/install.sh '\(prefix)' </dev/null")
        try #require(inst.status == 0, "\(inst)")

        for f in ["bin/kandelo-image", "bin/kandelo-mount", "bin/kandelo-launch", "bin/kandelo-runner", "bin/kandelo-cc",
                  "bin/kandelo-configure", "lib/kandelo/sysroot/lib/libc.a", "lib/kandelo/sdk/lib/common.sh",
                  "share/man/man1/kandelo-launch.1", "share/man/man1/kandelo-mount.1", "share/man/man1/kandelo-image.1",
                  "share/man/man1/kandelo-image.build.1",
                  "share/bash-completion/completions/kandelo-launch", "share/zsh/site-functions/_kandelo-launch",
                  "share/fish/vendor_completions.d/kandelo-launch.fish", "lib/systemd/system/kandelo-mount@.service",
                  "sbin/mount.fuse.kandelo"] {
            #expect(access("\(prefix)/\(f)", F_OK) == 0, "\(f) not installed")
        }
        // Release builds.
        #expect(sh("cmp '\(prefix)/bin/kandelo-launch' '\(Launch.repo)/.build/release/kandelo-launch'").status == 0)

        // man renders the page generated from kandelo-launch's own help.
        let man = sh("MANPATH='\(prefix)/share/man' MANPAGER=cat MANWIDTH=100 man kandelo-launch 2>&1 | col -b")
        #expect(man.status == 0, "\(man)")
        for text in ["kandelo-launch", "Run a wasm32 guest program from a Kandelo VFS image", "--mount", "login shell"] {
            #expect(man.out.contains(text), "man kandelo-launch lacks '\(text)': \(man.out.prefix(2000))")
        }
        let manl = sh("MANPAGER=cat man -l '\(prefix)/share/man/man1/kandelo-image.build.1' 2>&1 | col -b")
        #expect(manl.out.contains("--from-dir"), "\(manl)")

        // bash loads the completion and completes options.
        let bash = sh("""
            bash --norc --noprofile -c '
              source "\(prefix)/share/bash-completion/completions/kandelo-launch" && complete -p kandelo-launch &&
              COMP_WORDS=(kandelo-launch --mo); COMP_CWORD=1; COMP_LINE="kandelo-launch --mo"; COMP_POINT=${#COMP_LINE}
              f=$(complete -p kandelo-launch | sed -n "s/.*-F \\([^ ]*\\) .*/\\1/p"); "$f" kandelo-launch --mo kandelo-launch; echo "${COMPREPLY[@]}"'
            """)
        #expect(bash.status == 0 && bash.out.contains("complete ") && bash.out.contains("--mount"), "\(bash)")

        // The installed tools by absolute path, from an empty environment: build an image,
        // compile a guest with the installed SDK, add it, run it standalone, mount the image
        // and run it through the service, unmount.
        let hello = "#include <stdio.h>\nint main(void) { printf(\"hello from an installed SDK\\n\"); return 42; }\n"
        try hello.write(toFile: "\(work)/hello.c", atomically: true, encoding: .utf8)
        let p = prefix, img = "\(work)/rootfs.vfs", mnt = "\(work)/mnt"
        let use = sh("""
            cd /
            env -i '\(p)/bin/kandelo-cc' -O1 -o '\(work)/hello' '\(work)/hello.c' &&
            env -i '\(p)/bin/kandelo-image' build --from-dir '\(work)/tree' -o '\(img)' --quiet &&
            env -i '\(p)/bin/kandelo-image' add '\(img)' /bin/hello --file '\(work)/hello' --mode 755 &&
            { env -i '\(p)/bin/kandelo-launch' --image '\(img)' /bin/hello </dev/null; echo "standalone $?"; } &&
            env -i '\(p)/bin/kandelo-mount' '\(img)' '\(mnt)' &&
            { env -i '\(p)/bin/kandelo-launch' --mount '\(mnt)' /bin/hello </dev/null; echo "service $?"; } &&
            fusermount3 -u '\(mnt)'
            """)
        #expect(use.out.contains("hello from an installed SDK\nstandalone 42\n"), "\(use)")
        #expect(use.out.contains("hello from an installed SDK\nservice 42\n"), "\(use)")
        #expect(use.out.contains("kandelo-launch --mount \(mnt)\n"), "kandelo-mount's announcement: \(use)")
        for _ in 0..<200 where access(img + ".journal", F_OK) == 0 { usleep(50_000) }

        // As mount(8) runs its helper: silent, and the mount works.
        let helper = sh("'\(p)/sbin/mount.fuse.kandelo' '\(img)' '\(mnt)' -o rw,noatime && ls '\(mnt)/bin' && fusermount3 -u '\(mnt)'")
        #expect(helper.status == 0 && helper.out == "hello\n", "\(helper)")
        for _ in 0..<200 where access(img + ".journal", F_OK) == 0 { usleep(50_000) }

        // The systemd unit: the instance is the escaped image path, %f gives it back.
        let unit = try String(contentsOfFile: "\(p)/lib/systemd/system/kandelo-mount@.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=\(p)/bin/kandelo-mount --foreground --quiet $OPTIONS %f ${MOUNTPOINT}"), "\(unit)")
        let escaped = sh("systemd-escape -p '\(img)'").out.trimmingCharacters(in: .whitespacesAndNewlines)
        let verify = sh("MANPATH='\(p)/share/man' SYSTEMD_LOG_LEVEL=debug systemd-analyze verify '\(p)/lib/systemd/system/kandelo-mount@\(escaped).service' 2>&1")
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.out.contains("Command Line: \(p)/bin/kandelo-mount --foreground --quiet \"\\$OPTIONS\" \(img) \"\\${MOUNTPOINT}\""), "\(verify)")
        #expect(verify.out.contains("Environment: MOUNTPOINT=/run/kandelo/\(escaped)\n"), "\(verify)")

        // Uninstall removes exactly what was installed.
        let un = sh("'\(Launch.repo)/scripts/uninstall.sh' '\(prefix)'")
        #expect(un.status == 0, "\(un)")
        let left = sh("cd '\(prefix)' && find . | sort").out
        #expect(left == ".\n./bin\n./bin/other-tool\n", "left after uninstall: \(left)")
        _ = sh("rm -rf '\(work)'")
    }
}
