/* Threads and signals: per-thread masks decide which thread runs a process-directed
 * handler, pthread_kill targets one thread, sigwait in a dedicated thread, a handler
 * interrupting a thread blocked on a condition variable, and fork from a threaded
 * process keeping only the calling thread. */
#define _GNU_SOURCE
#include "corpus.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>

static pthread_t worker_thread, main_thread;
static volatile sig_atomic_t handled_in_worker, handled_in_main, handled_count;
static sem_t ready, go;

static void handler(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), worker_thread)) handled_in_worker++;
    if (pthread_equal(pthread_self(), main_thread)) handled_in_main++;
    handled_count++;
}

static void *worker(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    sem_post(&ready);
    /* Wait (blocked in sem_wait, a futex) until main says go; the handler runs here. */
    while (sem_wait(&go) != 0 && errno == EINTR) { }
    return NULL;
}

static void *waiter(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    return (void *)(intptr_t)sig;
}

static void *idle_thread(void *arg) { (void)arg; pause(); return NULL; }

int main(void)
{
    main_thread = pthread_self();
    struct sigaction sa = { 0 };
    sa.sa_handler = handler;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    sem_init(&ready, 0, 0);
    sem_init(&go, 0, 0);
    pthread_create(&worker_thread, NULL, worker, NULL);
    sem_wait(&ready);
    /* Process-directed: only the worker leaves SIGUSR1 unblocked. */
    kill(getpid(), SIGUSR1);
    for (int i = 0; i < 200 && handled_count < 1; i++) usleep(10000);
    printf("SIGUSR1 to the process: in worker %d, in main %d\n", (int)handled_in_worker, (int)handled_in_main);
    /* Thread-directed to main, which unblocks SIGUSR2 (never blocked): runs in main. */
    pthread_kill(main_thread, SIGUSR2);
    printf("pthread_kill(main, SIGUSR2): in main %d\n", (int)handled_in_main);
    /* Thread-directed SIGUSR1 to main, which blocks it: pending for main only. */
    pthread_kill(main_thread, SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("main sees SIGUSR1 pending: %d, worker handled %d\n", sigismember(&pend, SIGUSR1), (int)handled_in_worker);
    sem_post(&go);
    pthread_join(worker_thread, NULL);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    printf("after unblocking in main: in main %d\n", (int)handled_in_main);

    /* sigwait in a thread: everyone blocks SIGUSR2 first. */
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &w, NULL);
    pthread_t sw;
    pthread_create(&sw, NULL, waiter, &w);
    usleep(20000);
    kill(getpid(), SIGUSR2);
    void *got;
    pthread_join(sw, &got);
    printf("sigwait thread got %s\n", (intptr_t)got == SIGUSR2 ? "SIGUSR2" : "other");

    /* fork with another thread alive: the child has only the calling thread. */
    pthread_t idle;
    pthread_create(&idle, NULL, idle_thread, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t2;
        int r = pthread_create(&t2, NULL, waiter, &w);
        kill(getpid(), SIGUSR2);
        void *v = 0;
        if (!r) pthread_join(t2, &v);
        printf("child: new thread ok %d, got %s\n", r == 0, (intptr_t)v == SIGUSR2 ? "SIGUSR2" : "other");
        fflush(stdout);
        _exit(5);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    return 0;   /* exit ends the idle thread too */
}
