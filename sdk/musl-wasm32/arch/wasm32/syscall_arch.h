/* wasm32 (Kandelo for Linux): every syscall is one call of the imported function
 *   (import "kandelo" "syscall" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
 * with Linux numbers from <kandelo/abi.h>, returning the value or -errno.
 * __kandelo_syscall (src/internal/wasm32/kandelo_syscall.c) wraps the import and runs
 * pending signal handlers when the kernel flagged one (sdk/ABI.md, Signals).
 *
 * 64-bit arguments take two consecutive argument slots, low word first, with no
 * alignment padding (so __SYSCALL_LL_O is __SYSCALL_LL_E). */

#define __SYSCALL_LL_E(x) \
((union { long long ll; long l[2]; }){ .ll = x }).l[0], \
((union { long long ll; long l[2]; }){ .ll = x }).l[1]
#define __SYSCALL_LL_O(x) __SYSCALL_LL_E(x)

hidden long __kandelo_syscall(long, long, long, long, long, long, long);

/* The import itself (KANDELO_IMPORT_MODULE/KANDELO_IMPORT_SYSCALL); call it
 * directly only where signal delivery must not run (the delivery loop). */
__attribute__((__import_module__("kandelo"), __import_name__("syscall")))
hidden long __kandelo_syscall_import(long, long, long, long, long, long, long);

static inline long __syscall0(long n)
{
	return __kandelo_syscall(n, 0, 0, 0, 0, 0, 0);
}

static inline long __syscall1(long n, long a)
{
	return __kandelo_syscall(n, a, 0, 0, 0, 0, 0);
}

static inline long __syscall2(long n, long a, long b)
{
	return __kandelo_syscall(n, a, b, 0, 0, 0, 0);
}

static inline long __syscall3(long n, long a, long b, long c)
{
	return __kandelo_syscall(n, a, b, c, 0, 0, 0);
}

static inline long __syscall4(long n, long a, long b, long c, long d)
{
	return __kandelo_syscall(n, a, b, c, d, 0, 0);
}

static inline long __syscall5(long n, long a, long b, long c, long d, long e)
{
	return __kandelo_syscall(n, a, b, c, d, e, 0);
}

static inline long __syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	return __kandelo_syscall(n, a, b, c, d, e, f);
}

/* SysV IPC: no IPC_64 version bit (as on other asm-generic-only archs). */
#define IPC_64 0

/* Time64-only.  musl 1.2.3 falls back from a missing SYS_<x> to SYS_<x>32 (time32)
 * before it considers SYS_<x>64, so the plain names are given here (internal only:
 * <sys/syscall.h> has just the time64 names, as on Linux riscv32). */
#define SYS_clock_gettime SYS_clock_gettime64
#define SYS_clock_settime SYS_clock_settime64
#define SYS_clock_getres SYS_clock_getres_time64
#define SYS_clock_nanosleep SYS_clock_nanosleep_time64
#define SYS_timer_gettime SYS_timer_gettime64
#define SYS_timer_settime SYS_timer_settime64
#define SYS_timerfd_gettime SYS_timerfd_gettime64
#define SYS_timerfd_settime SYS_timerfd_settime64
/* Named only in branches that are dead here (SYS_x == SYS_x_time64); no such
 * syscalls exist on this ABI, -1 would get -ENOSYS. */
#define SYS_gettimeofday_time32 (-1)
#define SYS_nanosleep (-1)
