/* Threads: a bounded queue with condition variables (2 producers, 2 consumers),
 * pthread_once, a rwlock, semaphores and a timed wait that times out. */
#include "corpus.h"
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <time.h>

#define CAP 8
#define PER_PRODUCER 5000
static int queue[CAP], head, tail, count, done_producers;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 1; i <= PER_PRODUCER; i++) {
        pthread_mutex_lock(&m);
        while (count == CAP) pthread_cond_wait(&not_full, &m);
        queue[tail] = base + i; tail = (tail + 1) % CAP; count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&m);
    done_producers++;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *consumer(void *arg)
{
    long long *sum = arg;
    for (;;) {
        pthread_mutex_lock(&m);
        while (count == 0 && done_producers < 2) pthread_cond_wait(&not_empty, &m);
        if (count == 0) { pthread_mutex_unlock(&m); return NULL; }
        int v = queue[head]; head = (head + 1) % CAP; count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
        *sum += v;
    }
}

static int once_runs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { once_runs++; }
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int shared_value;
static sem_t sem;

static void *reader(void *arg)
{
    pthread_once(&once, init_once);
    pthread_rwlock_rdlock(&rw);
    int v = shared_value;
    pthread_rwlock_unlock(&rw);
    sem_post(&sem);
    return (void *)(intptr_t)v;
}

int main(void)
{
    pthread_t p[2], c[2];
    long long sums[2] = {0, 0};
    pthread_create(&p[0], NULL, producer, (void *)0);
    pthread_create(&p[1], NULL, producer, (void *)1000000);
    pthread_create(&c[0], NULL, consumer, &sums[0]);
    pthread_create(&c[1], NULL, consumer, &sums[1]);
    for (int i = 0; i < 2; i++) { pthread_join(p[i], NULL); pthread_join(c[i], NULL); }
    long long expect = 2LL * PER_PRODUCER * (PER_PRODUCER + 1) / 2 + 1000000LL * PER_PRODUCER;
    printf("consumed total %lld expected %lld\n", sums[0] + sums[1], expect);

    sem_init(&sem, 0, 0);
    pthread_rwlock_wrlock(&rw);
    shared_value = 42;
    pthread_t r[3];
    for (int i = 0; i < 3; i++) pthread_create(&r[i], NULL, reader, NULL);
    pthread_rwlock_unlock(&rw);
    for (int i = 0; i < 3; i++) sem_wait(&sem);
    for (int i = 0; i < 3; i++) {
        void *v;
        pthread_join(r[i], &v);
        printf("reader %d saw %ld\n", i, (long)(intptr_t)v);
    }
    printf("once ran %d time(s)\n", once_runs);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&m);
    int e = pthread_cond_timedwait(&not_empty, &m, &ts);
    pthread_mutex_unlock(&m);
    printf("timedwait: %s\n", errname(e));
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    printf("sem_timedwait: %s\n", sem_timedwait(&sem, &ts) == 0 ? "0" : errname(errno));
    return 0;
}
