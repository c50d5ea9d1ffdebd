// SPDX-License-Identifier: Apache-2.0
// A fixed pool of worker threads for the kernels. One caller at a time (the engine thread) runs a task on every
// thread of the pool, itself included as thread 0, and returns when all are done. Workers spin briefly between
// tasks, then sleep, so a decode step's ~200 kernel launches cost microseconds, not a thread wake-up each.
#ifndef FERRY_CPU_POOL_H
#define FERRY_CPU_POOL_H

#include <stdint.h>
#include "ferry_cpu_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_cpu_pool ferry_cpu_pool;

/// A task body: called once on each of `num_threads` threads with its `thread_index` in [0, num_threads).
typedef void (*ferry_cpu_task_fn)(void *context, int thread_index, int num_threads);

/// Creates a pool of `num_threads` threads in all (the caller counts as one). Returns NULL on failure.
ferry_cpu_pool *ferry_cpu_pool_create(int num_threads);
void ferry_cpu_pool_destroy(ferry_cpu_pool *pool);
int ferry_cpu_pool_size(const ferry_cpu_pool *pool);

/// Runs `fn` on every thread of the pool (NULL pool: on the caller alone) and waits for all of them.
void ferry_cpu_pool_run(ferry_cpu_pool *pool, ferry_cpu_task_fn fn, void *context);

/// The [begin, end) share of `count` items for `thread_index` of `num_threads`, in chunks of `granule` items.
void ferry_cpu_split_range(int64_t count, int64_t granule, int thread_index, int num_threads,
                           int64_t *begin, int64_t *end);

#ifdef __cplusplus
}
#endif
#endif
