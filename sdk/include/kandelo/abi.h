/*
 * kandelo/abi.h — the Kandelo for Linux guest ABI: syscall numbers and ABI constants.
 *
 * THE SINGLE SOURCE OF TRUTH.  The guest libc (musl's wasm32 port in sdk/musl-wasm32)
 * takes its syscall table from this file (sdk/build-sysroot.sh turns every
 * "#define __NR_<name> <n>" line below into musl's bits/syscall.h), and the Swift
 * kernel is generated from it.  The prose contract is sdk/ABI.md.
 *
 * Format rules (a generator parses this file; keep to them):
 *   - one definition per line: "#define NAME VALUE" where VALUE is a decimal or 0x hex
 *     integer literal or a "string literal"; no expressions, no other macros.
 *   - syscall numbers are named __NR_<linux name> exactly as Linux's 32-bit
 *     asm-generic table spells them (with musl's spelling __NR__llseek for llseek).
 *   - comments are C block comments on their own lines or after a definition.
 *
 * Numbering: Linux asm-generic/unistd.h (Linux 6.1) for a 32-bit, time64-only
 * architecture: the table of Linux riscv32 (no __ARCH_WANT_TIME32_SYSCALLS), plus the
 * asm-generic entries that musl 1.2.3 still calls directly: __ARCH_WANT_STAT64
 * (fstat64 80, fstatat64 79, asm-generic struct stat64), __ARCH_WANT_SET_GET_RLIMIT
 * (getrlimit 163, setrlimit 164), __ARCH_WANT_RENAMEAT (renameat 38) and wait4 (260,
 * 32-bit struct rusage as getrusage); plus the kandelo-private range at the end.
 * There is no open/stat/lstat/fork/vfork/pipe/dup2/poll/select/gettimeofday/time/
 * clock_gettime(32-bit) number: musl uses openat, statx/fstatat64, clone, pipe2,
 * dup3, ppoll_time64, pselect6_time64 and clock_gettime64.
 */
#ifndef KANDELO_ABI_H
#define KANDELO_ABI_H

/* ABI version; bumped on any incompatible change of this file or sdk/ABI.md. */
#define KANDELO_ABI_VERSION 1

/* ---- imports ---------------------------------------------------------------- */
/* (import "kandelo" "syscall" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
 * params: nr, a0, a1, a2, a3, a4, a5; result: value or -errno (-4095..-1). */
#define KANDELO_IMPORT_MODULE "kandelo"
#define KANDELO_IMPORT_SYSCALL "syscall"
/* (import "env" "memory" (memory MIN MAX shared)), MIN from the module, MAX below. */
#define KANDELO_MEMORY_IMPORT_MODULE "env"
#define KANDELO_MEMORY_IMPORT_NAME "memory"
#define KANDELO_WASM_PAGE_SIZE 65536
/* Declared maximum of the imported memory, in wasm pages (65536 pages = 4 GiB).
 * The runner may create the memory with a smaller maximum (import matching allows it). */
#define KANDELO_MEMORY_MAX_PAGES 65536
/* Guest page size: AT_PAGESZ, mmap/brk/mprotect granularity. */
#define KANDELO_PAGE_SIZE 4096
/* Main thread's shadow-stack size set by kandelo-cc (-z stack-size). */
#define KANDELO_DEFAULT_STACK_SIZE 1048576

/* ---- exports ---------------------------------------------------------------- */
/* () -> ()  program entry; the runner calls it once on the main thread. */
#define KANDELO_EXPORT_START "_start"
/* (i32 tid, i32 start_block) -> ()  entry of every new thread (see ABI.md, Threads). */
#define KANDELO_EXPORT_THREAD_START "__kandelo_thread_start"
/* () -> ()  runs pending signal handlers now (optional for the runner; ABI.md, Signals). */
#define KANDELO_EXPORT_SIGNAL_DELIVER "__kandelo_signal_deliver"
/* i32 global: first byte after static data and the main stack = initial program break. */
#define KANDELO_EXPORT_HEAP_BASE "__heap_base"

/* ---- start-up block (ABI.md, Start-up) ----------------------------------------- */
/* Alignment of the block's size and of the buffer crt1 passes. */
#define KANDELO_STARTUP_ALIGN 16

/* ---- thread start block (ABI.md, Threads): byte offsets ---------------------- */
#define KANDELO_THREAD_START_FUNC 0
#define KANDELO_THREAD_START_ARG 4
#define KANDELO_THREAD_START_TP 8
#define KANDELO_THREAD_START_SIZE 16

/* ---- signals (ABI.md, Signals) --------------------------------------------- */
/* Returned by a syscall that a signal interrupted and that must be re-issued
 * after the handlers ran (Linux's internal ERESTARTSYS). */
#define KANDELO_ERESTART 512
/* ucontext_t byte offsets (wasm32) */
#define KANDELO_UC_FLAGS 0
#define KANDELO_UC_LINK 4
#define KANDELO_UC_STACK 8
#define KANDELO_UC_SIGMASK 20
#define KANDELO_UC_MCONTEXT 148
#define KANDELO_UC_SIZE 164
/* siginfo_t size (Linux 32-bit layout) */
#define KANDELO_SIGINFO_SIZE 128
/* struct k_sigaction as the kernel reads/writes it for rt_sigaction and
 * kandelo_sigdequeue: { u32 handler; u32 flags; u32 restorer; u32 mask[2]; }.
 * libc always sets SA_RESTORER (0x04000000) and a restorer; the kernel ignores both
 * (handlers return into libc's delivery loop). */
#define KANDELO_KSIGACTION_HANDLER 0
#define KANDELO_KSIGACTION_FLAGS 4
#define KANDELO_KSIGACTION_RESTORER 8
#define KANDELO_KSIGACTION_MASK 12
#define KANDELO_KSIGACTION_SIZE 20

/* ---- Linux syscall numbers (asm-generic, 32-bit, time64-only) ---------------- */
#define __NR_io_setup                     0
#define __NR_io_destroy                   1
#define __NR_io_submit                    2
#define __NR_io_cancel                    3
#define __NR_setxattr                     5
#define __NR_lsetxattr                    6
#define __NR_fsetxattr                    7
#define __NR_getxattr                     8
#define __NR_lgetxattr                    9
#define __NR_fgetxattr                    10
#define __NR_listxattr                    11
#define __NR_llistxattr                   12
#define __NR_flistxattr                   13
#define __NR_removexattr                  14
#define __NR_lremovexattr                 15
#define __NR_fremovexattr                 16
#define __NR_getcwd                       17
#define __NR_lookup_dcookie               18
#define __NR_eventfd2                     19
#define __NR_epoll_create1                20
#define __NR_epoll_ctl                    21
#define __NR_epoll_pwait                  22
#define __NR_dup                          23
#define __NR_dup3                         24
#define __NR_fcntl64                      25
#define __NR_inotify_init1                26
#define __NR_inotify_add_watch            27
#define __NR_inotify_rm_watch             28
#define __NR_ioctl                        29
#define __NR_ioprio_set                   30
#define __NR_ioprio_get                   31
#define __NR_flock                        32
#define __NR_mknodat                      33
#define __NR_mkdirat                      34
#define __NR_unlinkat                     35
#define __NR_symlinkat                    36
#define __NR_linkat                       37
#define __NR_renameat                     38
#define __NR_umount2                      39
#define __NR_mount                        40
#define __NR_pivot_root                   41
#define __NR_nfsservctl                   42
#define __NR_statfs64                     43
#define __NR_fstatfs64                    44
#define __NR_truncate64                   45
#define __NR_ftruncate64                  46
#define __NR_fallocate                    47
#define __NR_faccessat                    48
#define __NR_chdir                        49
#define __NR_fchdir                       50
#define __NR_chroot                       51
#define __NR_fchmod                       52
#define __NR_fchmodat                     53
#define __NR_fchownat                     54
#define __NR_fchown                       55
#define __NR_openat                       56
#define __NR_close                        57
#define __NR_vhangup                      58
#define __NR_pipe2                        59
#define __NR_quotactl                     60
#define __NR_getdents64                   61
#define __NR__llseek                      62
#define __NR_read                         63
#define __NR_write                        64
#define __NR_readv                        65
#define __NR_writev                       66
#define __NR_pread64                      67
#define __NR_pwrite64                     68
#define __NR_preadv                       69
#define __NR_pwritev                      70
#define __NR_sendfile64                   71
#define __NR_signalfd4                    74
#define __NR_vmsplice                     75
#define __NR_splice                       76
#define __NR_tee                          77
#define __NR_readlinkat                   78
#define __NR_fstatat64                    79
#define __NR_fstat64                      80
#define __NR_sync                         81
#define __NR_fsync                        82
#define __NR_fdatasync                    83
#define __NR_sync_file_range              84
#define __NR_timerfd_create               85
#define __NR_acct                         89
#define __NR_capget                       90
#define __NR_capset                       91
#define __NR_personality                  92
#define __NR_exit                         93
#define __NR_exit_group                   94
#define __NR_waitid                       95
#define __NR_set_tid_address              96
#define __NR_unshare                      97
#define __NR_set_robust_list              99
#define __NR_get_robust_list              100
#define __NR_getitimer                    102
#define __NR_setitimer                    103
#define __NR_kexec_load                   104
#define __NR_init_module                  105
#define __NR_delete_module                106
#define __NR_timer_create                 107
#define __NR_timer_getoverrun             109
#define __NR_timer_delete                 111
#define __NR_syslog                       116
#define __NR_ptrace                       117
#define __NR_sched_setparam               118
#define __NR_sched_setscheduler           119
#define __NR_sched_getscheduler           120
#define __NR_sched_getparam               121
#define __NR_sched_setaffinity            122
#define __NR_sched_getaffinity            123
#define __NR_sched_yield                  124
#define __NR_sched_get_priority_max       125
#define __NR_sched_get_priority_min       126
#define __NR_restart_syscall              128
#define __NR_kill                         129
#define __NR_tkill                        130
#define __NR_tgkill                       131
#define __NR_sigaltstack                  132
#define __NR_rt_sigsuspend                133
#define __NR_rt_sigaction                 134
#define __NR_rt_sigprocmask               135
#define __NR_rt_sigpending                136
#define __NR_rt_sigqueueinfo              138
#define __NR_rt_sigreturn                 139
#define __NR_setpriority                  140
#define __NR_getpriority                  141
#define __NR_reboot                       142
#define __NR_setregid                     143
#define __NR_setgid                       144
#define __NR_setreuid                     145
#define __NR_setuid                       146
#define __NR_setresuid                    147
#define __NR_getresuid                    148
#define __NR_setresgid                    149
#define __NR_getresgid                    150
#define __NR_setfsuid                     151
#define __NR_setfsgid                     152
#define __NR_times                        153
#define __NR_setpgid                      154
#define __NR_getpgid                      155
#define __NR_getsid                       156
#define __NR_setsid                       157
#define __NR_getgroups                    158
#define __NR_setgroups                    159
#define __NR_uname                        160
#define __NR_sethostname                  161
#define __NR_setdomainname                162
#define __NR_getrlimit                    163
#define __NR_setrlimit                    164
#define __NR_getrusage                    165
#define __NR_umask                        166
#define __NR_prctl                        167
#define __NR_getcpu                       168
#define __NR_getpid                       172
#define __NR_getppid                      173
#define __NR_getuid                       174
#define __NR_geteuid                      175
#define __NR_getgid                       176
#define __NR_getegid                      177
#define __NR_gettid                       178
#define __NR_sysinfo                      179
#define __NR_mq_open                      180
#define __NR_mq_unlink                    181
#define __NR_mq_notify                    184
#define __NR_mq_getsetattr                185
#define __NR_msgget                       186
#define __NR_msgctl                       187
#define __NR_msgrcv                       188
#define __NR_msgsnd                       189
#define __NR_semget                       190
#define __NR_semctl                       191
#define __NR_semop                        193
#define __NR_shmget                       194
#define __NR_shmctl                       195
#define __NR_shmat                        196
#define __NR_shmdt                        197
#define __NR_socket                       198
#define __NR_socketpair                   199
#define __NR_bind                         200
#define __NR_listen                       201
#define __NR_accept                       202
#define __NR_connect                      203
#define __NR_getsockname                  204
#define __NR_getpeername                  205
#define __NR_sendto                       206
#define __NR_recvfrom                     207
#define __NR_setsockopt                   208
#define __NR_getsockopt                   209
#define __NR_shutdown                     210
#define __NR_sendmsg                      211
#define __NR_recvmsg                      212
#define __NR_readahead                    213
#define __NR_brk                          214
#define __NR_munmap                       215
#define __NR_mremap                       216
#define __NR_add_key                      217
#define __NR_request_key                  218
#define __NR_keyctl                       219
#define __NR_clone                        220
#define __NR_execve                       221
#define __NR_mmap2                        222
#define __NR_fadvise64_64                 223
#define __NR_swapon                       224
#define __NR_swapoff                      225
#define __NR_mprotect                     226
#define __NR_msync                        227
#define __NR_mlock                        228
#define __NR_munlock                      229
#define __NR_mlockall                     230
#define __NR_munlockall                   231
#define __NR_mincore                      232
#define __NR_madvise                      233
#define __NR_remap_file_pages             234
#define __NR_mbind                        235
#define __NR_get_mempolicy                236
#define __NR_set_mempolicy                237
#define __NR_migrate_pages                238
#define __NR_move_pages                   239
#define __NR_rt_tgsigqueueinfo            240
#define __NR_perf_event_open              241
#define __NR_accept4                      242
#define __NR_wait4                        260
#define __NR_prlimit64                    261
#define __NR_fanotify_init                262
#define __NR_fanotify_mark                263
#define __NR_name_to_handle_at            264
#define __NR_open_by_handle_at            265
#define __NR_syncfs                       267
#define __NR_setns                        268
#define __NR_sendmmsg                     269
#define __NR_process_vm_readv             270
#define __NR_process_vm_writev            271
#define __NR_kcmp                         272
#define __NR_finit_module                 273
#define __NR_sched_setattr                274
#define __NR_sched_getattr                275
#define __NR_renameat2                    276
#define __NR_seccomp                      277
#define __NR_getrandom                    278
#define __NR_memfd_create                 279
#define __NR_bpf                          280
#define __NR_execveat                     281
#define __NR_userfaultfd                  282
#define __NR_membarrier                   283
#define __NR_mlock2                       284
#define __NR_copy_file_range              285
#define __NR_preadv2                      286
#define __NR_pwritev2                     287
#define __NR_pkey_mprotect                288
#define __NR_pkey_alloc                   289
#define __NR_pkey_free                    290
#define __NR_statx                        291
#define __NR_rseq                         293
#define __NR_kexec_file_load              294
#define __NR_clock_gettime64              403
#define __NR_clock_settime64              404
#define __NR_clock_adjtime64              405
#define __NR_clock_getres_time64          406
#define __NR_clock_nanosleep_time64       407
#define __NR_timer_gettime64              408
#define __NR_timer_settime64              409
#define __NR_timerfd_gettime64            410
#define __NR_timerfd_settime64            411
#define __NR_utimensat_time64             412
#define __NR_pselect6_time64              413
#define __NR_ppoll_time64                 414
#define __NR_io_pgetevents_time64         416
#define __NR_recvmmsg_time64              417
#define __NR_mq_timedsend_time64          418
#define __NR_mq_timedreceive_time64       419
#define __NR_semtimedop_time64            420
#define __NR_rt_sigtimedwait_time64       421
#define __NR_futex_time64                 422
#define __NR_sched_rr_get_interval_time64 423
#define __NR_pidfd_send_signal            424
#define __NR_io_uring_setup               425
#define __NR_io_uring_enter               426
#define __NR_io_uring_register            427
#define __NR_open_tree                    428
#define __NR_move_mount                   429
#define __NR_fsopen                       430
#define __NR_fsconfig                     431
#define __NR_fsmount                      432
#define __NR_fspick                       433
#define __NR_pidfd_open                   434
#define __NR_clone3                       435
#define __NR_close_range                  436
#define __NR_openat2                      437
#define __NR_pidfd_getfd                  438
#define __NR_faccessat2                   439
#define __NR_process_madvise              440
#define __NR_epoll_pwait2                 441
#define __NR_mount_setattr                442
#define __NR_quotactl_fd                  443
#define __NR_landlock_create_ruleset      444
#define __NR_landlock_add_rule            445
#define __NR_landlock_restrict_self       446
#define __NR_memfd_secret                 447
#define __NR_process_mrelease             448
#define __NR_futex_waitv                  449
#define __NR_set_mempolicy_home_node      450

/* ---- kandelo-private syscalls ------------------------------------------------ */
/* Reserved range; Linux will never use these numbers on this ABI. */
#define KANDELO_NR_PRIVATE_FIRST 4096
#define KANDELO_NR_PRIVATE_LAST 4351
/* () -> size in bytes of the start-up block (a multiple of KANDELO_STARTUP_ALIGN). */
#define __NR_kandelo_startup_size 4096
/* (void *buf, size_t len) -> bytes copied; copies the start-up block to buf,
 * pointers relocated to buf.  -EINVAL if len is too small, -EFAULT. */
#define __NR_kandelo_startup_copy 4097
/* (int *word) -> 0; registers the calling thread's signal-pending word. */
#define __NR_kandelo_set_sigword 4098
/* (siginfo_t *si, ucontext_t *uc, struct k_sigaction *act) -> signal number, or 0
 * when no signal needs a handler run; the kernel has applied sa_mask/SA_NODEFER/
 * SA_RESETHAND; uc->uc_sigmask is the mask to restore afterwards. */
#define __NR_kandelo_sigdequeue 4099
/* (const ucontext_t *uc) -> 0; handler finished: mask := uc->uc_sigmask. */
#define __NR_kandelo_sigreturn 4100

#endif /* KANDELO_ABI_H */
