// FileLocksTests.swift: the lock table itself (FileSystem/FileLocks.swift): splitting and
// merging one owner's ranges, conflicts between owners and kinds, wake-ups on release, and
// the wait-for graph behind EDEADLK. Guests and the FUSE mount are tested end to end in
// Tests/GuestCorpus/lock_*.c and Tests/LaunchTests/LockTests.swift.
import Testing
import VFSImage

@Suite struct FileLocksTests {
    let key = FileLockKey(fs: ObjectIdentifier(FileLocks.self), ino: 5)

    func posix(_ pid: Int32, _ s: Int64, _ e: Int64, write: Bool = true) -> FileLock {
        FileLock(owner: .process(pid), kind: .posix, exclusive: write, start: s, end: e, pid: pid, hostPid: 0)
    }

    func ranges(_ t: FileLocks) -> [String] {
        t.locks(on: key).map { "\($0.owner) \($0.exclusive ? "W" : "R") \($0.start)-\($0.end == Int64.max ? "EOF" : String($0.end))" }.sorted()
    }

    @Test func ownRangesSplitAndMerge() {
        let t = FileLocks()
        #expect(t.set(key, posix(1, 0, 99)) == nil)
        t.unlock(key, owner: .process(1), start: 40, end: 59)
        #expect(ranges(t) == ["pid 1 W 0-39", "pid 1 W 60-99"])
        #expect(t.set(key, posix(1, 20, 29, write: false)) == nil)
        #expect(ranges(t) == ["pid 1 R 20-29", "pid 1 W 0-19", "pid 1 W 30-39", "pid 1 W 60-99"])
        #expect(t.set(key, posix(1, 0, Int64.max)) == nil, "one lock replaces all, merged")
        #expect(ranges(t) == ["pid 1 W 0-EOF"])
        t.unlock(key, owner: .process(1), start: 0, end: Int64.max)
        #expect(t.locks(on: key).isEmpty)
        #expect(t.set(key, posix(1, 10, 19, write: false)) == nil)
        #expect(t.set(key, posix(1, 20, 29, write: false)) == nil)
        #expect(ranges(t) == ["pid 1 R 10-29"], "touching ranges of one type merge")
    }

    @Test func ownersKindsAndWakeUps() {
        let t = FileLocks()
        #expect(t.set(key, posix(1, 0, 9, write: false)) == nil)
        #expect(t.set(key, posix(2, 5, 5, write: false)) == nil, "readers share")
        #expect(t.set(key, posix(2, 9, 12))?.owner == .process(1), "a writer does not")
        let flock = FileLock(owner: .description(7), kind: .flock, exclusive: true, start: 0, end: Int64.max, pid: 3, hostPid: 0)
        #expect(t.set(key, flock) == nil, "flock locks ignore record locks")
        let ofd = FileLock(owner: .fuse(9), kind: .ofd, exclusive: true, start: 8, end: 8, pid: -1, hostPid: 0)
        #expect(t.conflict(key, ofd)?.owner == .process(1), "OFD and POSIX locks conflict")
        var woken = 0
        _ = t.wait(key, for: posix(2, 9, 12)) { woken += 1 }
        t.release(key, owner: .process(3))
        #expect(woken == 0, "nothing of that owner: nobody woken")
        t.release(key, owner: .process(1))
        #expect(woken == 1)
        #expect(t.set(key, posix(2, 9, 12)) == nil)
    }

    @Test func waitForGraphFindsCycles() {
        let t = FileLocks()
        let other = FileLockKey(fs: ObjectIdentifier(FileLocks.self), ino: 6)
        #expect(t.set(key, posix(1, 0, 0)) == nil)
        #expect(t.set(other, posix(2, 0, 0)) == nil)
        #expect(!t.wouldDeadlock(other, posix(1, 0, 0)), "1 may wait for 2")
        let token = t.wait(other, for: posix(1, 0, 0)) {}
        #expect(t.wouldDeadlock(key, posix(2, 0, 0)), "2 waiting for 1 closes the cycle")
        let ofd = FileLock(owner: .description(4), kind: .ofd, exclusive: true, start: 0, end: 0, pid: -1, hostPid: 0)
        #expect(!t.wouldDeadlock(key, ofd), "OFD waiters are never EDEADLK")
        t.cancelWait(other, token: token, owner: .process(1))
        #expect(!t.wouldDeadlock(key, posix(2, 0, 0)), "the wait ended: no cycle")
    }
}
