// SPDX-License-Identifier: Apache-2.0
// The kernel thread pool: N-1 pthreads plus the caller as thread 0.
//
// A run publishes (fn, context) and bumps a generation counter; workers that are spinning see the new generation
// within a few hundred nanoseconds, run their share and decrement `pending`; the caller runs share 0 and then spins
// until `pending` reaches zero. A worker that has seen no new generation for SPIN_NS goes to sleep on a condition
// variable (the caller only takes the mutex when some worker sleeps), and the caller likewise sleeps when the
// workers take longer than SPIN_NS, so an idle pool costs no CPU and a hot one costs microseconds per run.
#include "ferry_cpu_pool.h"
#include "ferry_cpu_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax(void) { __asm__ __volatile__("yield" ::: "memory"); }
#else
static inline void cpu_relax(void) {}
#endif

/// How long a worker (or the waiting caller) spins before it sleeps.
#define SPIN_NS 100000

#define CACHE_LINE 64

typedef struct {
    ferry_cpu_pool *pool;
    int index;
} worker_arg;

struct ferry_cpu_pool {
    int num_threads;
    int started;               // workers actually created
    pthread_t *threads;
    worker_arg *args;

    // Written by the caller before a run is published, read by workers after they see the new generation.
    ferry_cpu_task_fn fn;
    void *context;

    _Alignas(CACHE_LINE) _Atomic uint32_t generation;
    _Atomic int stop;
    _Atomic int sleepers;      // workers blocked (or about to block) on work_cv

    _Alignas(CACHE_LINE) _Atomic int pending;  // workers still running the current task
    _Atomic int caller_sleeping;

    _Alignas(CACHE_LINE) pthread_mutex_t mutex;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;

    // Scratch memory for kernels (only touched by the caller, between runs).
    void *scratch;
    size_t scratch_bytes;
};

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// Waits until `generation` differs from `seen`; returns the new value.
static uint32_t wait_for_generation(ferry_cpu_pool *pool, uint32_t seen) {
    uint32_t g = atomic_load_explicit(&pool->generation, memory_order_acquire);
    if (g != seen) return g;
    uint64_t start = now_ns();
    for (;;) {
        for (int i = 0; i < 64; i++) {
            cpu_relax();
            g = atomic_load_explicit(&pool->generation, memory_order_acquire);
            if (g != seen) return g;
        }
        if (now_ns() - start > SPIN_NS) break;
    }
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add(&pool->sleepers, 1);  // seq_cst: pairs with the caller's store of generation then load of sleepers
    while ((g = atomic_load(&pool->generation)) == seen) pthread_cond_wait(&pool->work_cv, &pool->mutex);
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->mutex);
    atomic_thread_fence(memory_order_acquire);
    return g;
}

static void *worker_main(void *p) {
    worker_arg *arg = p;
    ferry_cpu_pool *pool = arg->pool;
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_generation(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) break;
        pool->fn(pool->context, arg->index, pool->num_threads);
        if (atomic_fetch_sub(&pool->pending, 1) == 1 && atomic_load(&pool->caller_sleeping)) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done_cv);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
    return NULL;
}

/// Bumps the generation (after fn/context/pending are written) and wakes sleeping workers.
static void publish(ferry_cpu_pool *pool) {
    atomic_fetch_add(&pool->generation, 1);  // seq_cst
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->work_cv);
        pthread_mutex_unlock(&pool->mutex);
    }
}

ferry_cpu_pool *ferry_cpu_pool_create(int num_threads) {
    if (num_threads < 1 || num_threads > 1024) return NULL;
    ferry_cpu_pool *pool = aligned_alloc(CACHE_LINE, (sizeof(ferry_cpu_pool) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE);
    if (!pool) return NULL;
    memset(pool, 0, sizeof *pool);
    pool->num_threads = num_threads;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->stop, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->caller_sleeping, 0);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->work_cv, NULL);
    pthread_cond_init(&pool->done_cv, NULL);
    if (num_threads > 1) {
        pool->threads = calloc((size_t)num_threads, sizeof(pthread_t));
        pool->args = calloc((size_t)num_threads, sizeof(worker_arg));
        if (!pool->threads || !pool->args) {
            ferry_cpu_pool_destroy(pool);
            return NULL;
        }
        for (int i = 1; i < num_threads; i++) {
            pool->args[i].pool = pool;
            pool->args[i].index = i;
            if (pthread_create(&pool->threads[i], NULL, worker_main, &pool->args[i]) != 0) {
                ferry_cpu_pool_destroy(pool);
                return NULL;
            }
            pool->started = i;
        }
    }
    return pool;
}

void ferry_cpu_pool_destroy(ferry_cpu_pool *pool) {
    if (!pool) return;
    if (pool->started > 0) {
        atomic_store(&pool->stop, 1);
        publish(pool);
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->work_cv);
        pthread_mutex_unlock(&pool->mutex);
        for (int i = 1; i <= pool->started; i++) pthread_join(pool->threads[i], NULL);
    }
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->work_cv);
    pthread_cond_destroy(&pool->done_cv);
    free(pool->threads);
    free(pool->args);
    free(pool->scratch);
    free(pool);
}

int ferry_cpu_pool_size(const ferry_cpu_pool *pool) { return pool ? pool->num_threads : 1; }

void ferry_cpu_pool_run(ferry_cpu_pool *pool, ferry_cpu_task_fn fn, void *context) {
    if (!pool || pool->num_threads == 1) {
        fn(context, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->context = context;
    atomic_store_explicit(&pool->pending, pool->num_threads - 1, memory_order_relaxed);
    publish(pool);
    fn(context, 0, pool->num_threads);

    if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
    uint64_t start = now_ns();
    for (;;) {
        for (int i = 0; i < 64; i++) {
            cpu_relax();
            if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
        }
        if (now_ns() - start > SPIN_NS) break;
    }
    atomic_store(&pool->caller_sleeping, 1);  // seq_cst: pairs with a worker's decrement then load of this flag
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load(&pool->pending) != 0) pthread_cond_wait(&pool->done_cv, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
    atomic_store(&pool->caller_sleeping, 0);
}

void ferry_cpu_split_range(int64_t count, int64_t granule, int thread_index, int num_threads,
                           int64_t *begin, int64_t *end) {
    if (granule < 1) granule = 1;
    if (num_threads < 1) num_threads = 1;
    if (count <= 0) {
        *begin = *end = 0;
        return;
    }
    int64_t chunks = (count + granule - 1) / granule;
    int64_t lo = chunks * thread_index / num_threads, hi = chunks * (thread_index + 1) / num_threads;
    int64_t b = lo * granule, e = hi * granule;
    *begin = b < count ? b : count;
    *end = e < count ? e : count;
}

void *ferry_cpu_pool_scratch_(ferry_cpu_pool *pool, size_t bytes) {
    if (!pool) return NULL;
    if (pool->scratch_bytes < bytes) {
        size_t want = bytes + bytes / 2;
        want = (want + 4095) & ~(size_t)4095;
        void *p = aligned_alloc(4096, want);
        if (!p) return NULL;
        free(pool->scratch);
        pool->scratch = p;
        pool->scratch_bytes = want;
    }
    return pool->scratch;
}
