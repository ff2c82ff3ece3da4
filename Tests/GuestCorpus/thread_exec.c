/* execve in a threaded process: from a second thread (while the main thread waits in
 * pthread_join, one in a pipe read and one in pthread_cond_wait) and from the main thread
 * (while others wait). The other threads vanish, the process keeps its pid and its
 * descriptors, and the new image runs threads of its own. */
#include "corpus.h"
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];
static int pfd[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *reader(void *arg) {
    char c;
    (void)arg;
    if (read(pfd[0], &c, 1) >= 0) puts("reader woke up in the old image");
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    for (;;) pthread_cond_wait(&cv, &m);
    return NULL;
}

static void *execer(void *arg) {
    (void)arg;
    usleep(100000);
    execl(self, self, "after", "thread", (char *)0);
    puts("execl failed");
    return NULL;
}

static void *worker(void *arg) {
    return (void *)((long)arg * 2);
}

static int after(const char *how) {
    char want[32];
    snprintf(want, sizeof want, "%d", (int)getpid());
    const char *pid = getenv("KT_EXEC_PID");
    printf("after exec from the %s: same pid %d\n", how, pid && strcmp(pid, want) == 0);
    /* The pipe (no O_CLOEXEC) survives: write to it and read it back. */
    int w = atoi(getenv("KT_PIPE_W")), r = atoi(getenv("KT_PIPE_R"));
    char c = 'x';
    printf("pipe kept: %d\n", write(w, &c, 1) == 1 && read(r, &c, 1) == 1 && c == 'x');
    pthread_t t;
    void *res;
    pthread_create(&t, NULL, worker, (void *)21L);
    pthread_join(t, &res);
    printf("a thread of the new image: %ld\n", (long)res);
    fflush(stdout);
    return strcmp(how, "thread") == 0 ? 7 : 8;
}

static void child(int from_thread) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    setenv("KT_EXEC_PID", buf, 1);
    snprintf(buf, sizeof buf, "%d", pfd[1]);
    setenv("KT_PIPE_W", buf, 1);
    snprintf(buf, sizeof buf, "%d", pfd[0]);
    setenv("KT_PIPE_R", buf, 1);
    pthread_t a, b, c;
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, waiter, NULL);
    if (from_thread) {
        pthread_create(&c, NULL, execer, NULL);
        pthread_join(c, NULL);
        puts("join returned");
        _exit(1);
    }
    usleep(100000);
    execl(self, self, "after", "main", (char *)0);
    puts("execl failed");
    _exit(1);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "after") == 0) return after(argv[2]);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) { puts("readlink failed"); return 1; }
    self[n] = 0;
    for (int from_thread = 1; from_thread >= 0; from_thread--) {
        if (pipe(pfd) != 0) { puts("pipe failed"); return 1; }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) child(from_thread);
        int st;
        waitpid(pid, &st, 0);
        printf("child exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
        close(pfd[0]);
        close(pfd[1]);
    }
    return 0;
}
