/* Threads: create/join with return values, a mutex-protected counter, atomics, a
 * recursive mutex, trylock, and many short-lived threads (tids and slots reused). */
#include "corpus.h"
#include <pthread.h>
#include <stdint.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int atomic_counter;

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
    }
    return (void *)(intptr_t)(id * 100);
}

static void *short_lived(void *arg) { return (void *)((intptr_t)arg + 1); }

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)) { puts("create failed"); return 1; }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d returned %ld\n", i, (long)(intptr_t)r);
    }
    printf("counter %ld atomic %d\n", counter, atomic_counter);

    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rec;
    pthread_mutex_init(&rec, &a);
    printf("recursive lock %d %d\n", pthread_mutex_lock(&rec), pthread_mutex_lock(&rec));
    printf("unlock %d %d\n", pthread_mutex_unlock(&rec), pthread_mutex_unlock(&rec));
    pthread_mutex_lock(&lock);
    printf("trylock held: %s\n", errname(pthread_mutex_trylock(&lock)));
    pthread_mutex_unlock(&lock);
    printf("trylock free: %s\n", errname(pthread_mutex_trylock(&lock)));
    pthread_mutex_unlock(&lock);

    long sum = 0;
    for (int round = 0; round < 100; round++) {
        pthread_t s;
        void *r;
        if (pthread_create(&s, NULL, short_lived, (void *)(intptr_t)round)) { printf("create %d failed\n", round); return 1; }
        pthread_join(s, &r);
        sum += (long)(intptr_t)r;
    }
    printf("100 short threads sum %ld\n", sum);
    return 0;
}
