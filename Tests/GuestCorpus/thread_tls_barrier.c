/* Threads: thread-local storage (__thread with and without initialisers), keys with
 * destructors, barriers over several rounds, detached threads, pthread_self/equal,
 * gettid distinct from getpid, and a thread's exit(3) ending the process. */
#define _GNU_SOURCE
#include "corpus.h"
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static __thread int tls_counter = 7;
static __thread char tls_name[16];
static pthread_barrier_t barrier;
static pthread_key_t key;
static int destructor_calls;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int round_totals[3];
static pthread_t main_thread;
static int distinct_tids;

static void destructor(void *v)
{
    pthread_mutex_lock(&m);
    destructor_calls += (int)(intptr_t)v;
    pthread_mutex_unlock(&m);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    snprintf(tls_name, sizeof tls_name, "worker-%d", id);
    tls_counter += id;
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));
    if (syscall(SYS_gettid) != getpid() && !pthread_equal(pthread_self(), main_thread)) {
        pthread_mutex_lock(&m); distinct_tids++; pthread_mutex_unlock(&m);
    }
    for (int round = 0; round < 3; round++) {
        pthread_mutex_lock(&m);
        round_totals[round] += tls_counter * (round + 1);
        pthread_mutex_unlock(&m);
        int r = pthread_barrier_wait(&barrier);
        if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD) printf("barrier error %d\n", r);
    }
    return strdup(tls_name);
}

static sem_t detached_done;
static void *detached(void *arg) { (void)arg; tls_counter = 99; sem_post(&detached_done); return NULL; }

static void *exiter(void *arg) { (void)arg; fflush(stdout); exit(3); }

int main(int argc, char **argv)
{
    if (argc > 1) {
        /* Child mode: a thread calls exit(3) while main blocks in join. */
        pthread_t t;
        pthread_create(&t, NULL, exiter, NULL);
        pthread_join(t, NULL);
        puts("not reached");
        return 0;
    }
    main_thread = pthread_self();
    pthread_key_create(&key, destructor);
    pthread_barrier_init(&barrier, NULL, 4);
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        char *name;
        pthread_join(t[i], (void **)&name);
        printf("joined %s\n", name);
        free(name);
    }
    printf("round totals %d %d %d\n", round_totals[0], round_totals[1], round_totals[2]);
    printf("destructor sum %d, distinct tids %d\n", destructor_calls, distinct_tids);
    printf("main tls_counter %d name '%s'\n", tls_counter, tls_name);

    sem_init(&detached_done, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 5; i++) {
        pthread_t d;
        pthread_create(&d, &a, detached, NULL);
    }
    for (int i = 0; i < 5; i++) sem_wait(&detached_done);
    printf("detached done, main tls_counter still %d\n", tls_counter);
    fflush(stdout);

    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) { puts("readlink failed"); return 1; }
    self[n] = 0;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "%s child", self);
    pid_t pid = fork();
    if (pid == 0) { execl(self, self, "child", (char *)0); _exit(127); }
    int st;
    waitpid(pid, &st, 0);
    printf("child whose thread called exit(3): exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
    return 0;
}
