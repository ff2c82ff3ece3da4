// EpollTerminalTests.swift: epoll and poll on the kernel's pty slave (the corpus has no
// terminal): edge- and level-triggered input, output space, a hangup; and the readiness
// queue's masks (a waiter is called only for events it asked for, and stays until removed).
#if canImport(Glibc)
import Glibc
#endif
import KandeloABI
import Testing
@testable import Kernel

@Suite struct EpollTerminalTests {
    /// Harness with the pty slave at fd 10 and the epoll handlers.
    func setUp() throws -> (Harness, PseudoTerminal) {
        let h = try Harness()
        let pty = PseudoTerminal(kernel: h.kernel, index: 6)
        _ = try h.process.files.install(pty.openSlave(), at: 10, cloexec: false)
        return (h, pty)
    }

    func ctl(_ h: Harness, _ ep: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32, _ data: UInt64) -> Int32 {
        let ev = h.alloc(16, fill: 0)
        h.store(ev, events)
        h.store(ev + 8, data)
        return h.sys(__NR_epoll_ctl, ep, op, fd, Harness.a(ev))
    }

    /// epoll_wait with timeout 0: (count, [(events, data)]).
    func wait(_ h: Harness, _ ep: Int32) -> [(UInt32, UInt64)] {
        let out = h.alloc(16 * 4, fill: 0)
        let n = h.sys(__NR_epoll_pwait, ep, Harness.a(out), 4, 0, 0, 8)
        guard n >= 0 else { return [(UInt32.max, UInt64(bitPattern: Int64(n)))] }
        return (0..<Int(n)).map { (h.u32(out + UInt32(16 * $0)), h.u64(out + UInt32(16 * $0 + 8))) }
    }

    @Test func edgeAndLevelOnTheSlave() throws {
        let (h, pty) = try setUp()
        let ep = h.sys(__NR_epoll_create1, 0)
        #expect(ep >= 0)
        #expect(ctl(h, ep, Kernel.EPOLL_CTL_ADD, 10, Events.in | EpollFlags.EPOLLET, 7) == 0)
        #expect(wait(h, ep).isEmpty, "no input yet")
        pty.input(Array("par".utf8))
        #expect(wait(h, ep).isEmpty, "canonical mode: no line yet")
        pty.input(Array("tial\n".utf8))
        let got = wait(h, ep)
        #expect(got.count == 1 && got[0].0 == Events.in && got[0].1 == 7)
        #expect(wait(h, ep).isEmpty, "edge-triggered: reported once")
        // Level-triggered output space: reported on every wait.
        #expect(ctl(h, ep, Kernel.EPOLL_CTL_MOD, 10, Events.out, 8) == 0)
        #expect(wait(h, ep).map { $0.0 } == [Events.out])
        #expect(wait(h, ep).map { $0.0 } == [Events.out])
        // A hangup wakes the item with POLLHUP even though only POLLOUT was asked.
        #expect(ctl(h, ep, Kernel.EPOLL_CTL_MOD, 10, Events.in | EpollFlags.EPOLLET, 9) == 0)
        _ = wait(h, ep)
        pty.hangup()
        let hup = wait(h, ep)
        #expect(hup.count == 1 && hup[0].0 & Events.hup != 0)
    }

    @Test func closingTheLastDescriptorRemovesTheItem() throws {
        let (h, _) = try setUp()
        let ep = h.sys(__NR_epoll_create1, 0)
        let ept = try #require(try h.process.files.get(ep) as? EpollFile)
        #expect(ctl(h, ep, Kernel.EPOLL_CTL_ADD, 10, Events.out, 1) == 0)
        let dup = h.sys(__NR_dup, 10)
        #expect(dup >= 0)
        try h.process.files.close(10)
        #expect(ept.items.count == 1, "a descriptor of the slave is still open")
        #expect(wait(h, ep).map { $0.1 } == [1])
        try h.process.files.close(dup)
        #expect(ept.items.isEmpty, "the slave's last descriptor is gone")
        #expect(wait(h, ep).isEmpty)
    }

    /// A host descriptor (HostFile) is watched through an io_uring poll in the same model:
    /// an edge-triggered item fires when the host pipe gets data, once, and again after a
    /// drain and a new write; a level-triggered writer stays ready.
    @Test func hostDescriptorsThroughTheRing() throws {
        let (h, _) = try setUp()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let reader = try HostFile(kernel: h.kernel, fd: fds[0], flags: OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)
        _ = try h.process.files.install(reader, at: 11, cloexec: false)
        let ep = h.sys(__NR_epoll_create1, 0)
        #expect(ctl(h, ep, Kernel.EPOLL_CTL_ADD, 11, Events.in | EpollFlags.EPOLLET, 3) == 0)
        #expect(wait(h, ep).isEmpty)
        #expect(h.kernel.ring.inFlight == 1, "one host poll armed for POLLIN")
        #expect(Glibc.write(fds[1], "x", 1) == 1)
        // The loop's part: run the ring's completions until the poll has reported.
        func reported() -> [(UInt32, UInt64)] {
            for _ in 0..<500 {
                _ = h.kernel.ring.complete(block: false)
                let got = wait(h, ep)
                if !got.isEmpty { return got }
                usleep(1000)
            }
            return []
        }
        #expect(reported().map { $0.1 } == [3])
        #expect(wait(h, ep).isEmpty, "edge-triggered: reported once")
        // The guest drains it (HostFile.read re-arms the watch), then more arrives.
        let buf = h.alloc(4)
        #expect(h.sys(__NR_read, 11, Harness.a(buf), 4) == 1)
        #expect(Glibc.write(fds[1], "y", 1) == 1)
        #expect(reported().map { $0.0 } == [Events.in], "re-armed after the drain")
        let sys = h.sys(__NR_close, ep)
        #expect(sys == 0)
        try h.process.files.close(11)
    }

    @Test func waitersAreMaskedAndPersistent() {
        let q = WaitQueue()
        var ins = 0, outs = 0, blocked = 0
        let a = Waiter(mask: Events.in) { _ in ins += 1 }
        let b = Waiter(mask: Events.out) { _ in outs += 1 }
        q.add(a)
        q.add(b)
        let owner = WaitQueue()
        q.add(owner) { blocked += 1 }
        q.notify(Events.in)
        q.notify(Events.in)
        #expect(ins == 2 && outs == 0, "a persistent entry is called for every matching event")
        #expect(blocked == 1, "a blocked call's entry is one-shot")
        q.notify(Events.out)
        #expect(outs == 1 && ins == 2)
        a.removeFromAll()
        q.notify(Events.in | Events.out)
        #expect(ins == 2 && outs == 2)
        // Exclusive entries: one per notification, taking turns.
        var x = 0, y = 0
        let ex1 = Waiter(mask: Events.in, exclusive: true) { _ in x += 1 }
        let ex2 = Waiter(mask: Events.in, exclusive: true) { _ in y += 1 }
        q.add(ex1)
        q.add(ex2)
        q.notify(Events.in)
        q.notify(Events.in)
        #expect(x == 1 && y == 1)
    }
}
