// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include "ferry_cpu_system.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int ferry_cpu_available_cores(void) {
    int cores = 0;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
    FILE *file = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (file) {
        char quota[32] = {0};
        long period = 0;
        if (fscanf(file, "%31s %ld", quota, &period) == 2 && quota[0] != 'm' && period > 0) {
            long limit = 0;
            if (sscanf(quota, "%ld", &limit) == 1 && limit > 0) {
                int capped = (int)((limit + period - 1) / period);
                if (capped > 0 && (cores == 0 || capped < cores)) cores = capped;
            }
        }
        fclose(file);
    }
#endif
    if (cores <= 0) cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? cores : 1;
}

int ferry_cpu_has_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

typedef struct {
    float *a;
    const float *b, *c;
    int64_t count;
    float scalar;
} triad_task;

static void triad_worker(void *context, int thread_index, int num_threads) {
    const triad_task *task = context;
    int64_t begin, end;
    ferry_cpu_split_range(task->count, 4096, thread_index, num_threads, &begin, &end);
    for (int64_t i = begin; i < end; i++) task->a[i] = task->b[i] + task->scalar * task->c[i];
}

void ferry_cpu_stream_triad(ferry_cpu_pool *pool, float *a, const float *b, const float *c, int64_t count,
                            float scalar) {
    triad_task task = {a, b, c, count, scalar};
    ferry_cpu_pool_run(pool, triad_worker, &task);
}
