// SPDX-License-Identifier: Apache-2.0
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts cblas.h under the multiarch include dir).
#include <cblas.h>
// OpenBLAS extensions: thread control.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
