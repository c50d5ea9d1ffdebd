// SPDX-License-Identifier: Apache-2.0
// Placeholder until the pool lands: runs every task on the caller.
#include "ferry_cpu_pool.h"
#include <stdlib.h>
struct ferry_cpu_pool { int n; };
ferry_cpu_pool *ferry_cpu_pool_create(int n) { ferry_cpu_pool *p = malloc(sizeof *p); if (p) p->n = 1; (void)n; return p; }
void ferry_cpu_pool_destroy(ferry_cpu_pool *p) { free(p); }
int ferry_cpu_pool_size(const ferry_cpu_pool *p) { return p ? p->n : 1; }
void ferry_cpu_pool_run(ferry_cpu_pool *p, ferry_cpu_task_fn fn, void *ctx) { (void)p; fn(ctx, 0, 1); }
void ferry_cpu_split_range(int64_t count, int64_t granule, int t, int n, int64_t *b, int64_t *e) {
    int64_t chunks = (count + granule - 1) / granule;
    int64_t lo = chunks * t / n, hi = chunks * (t + 1) / n;
    *b = lo * granule; *e = hi * granule < count ? hi * granule : count;
}
