// SPDX-License-Identifier: Apache-2.0
#include "ferry_cpu_ops.h"
