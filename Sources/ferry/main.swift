// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

// OpenBLAS picks its kernels when the library loads, before any Swift code runs: on CPUs with AVX-512 re-execute
// once with OPENBLAS_CORETYPE=SkylakeX, which doubles sgemm throughput over the AVX2 kernels it detects by default.
let environment = ProcessInfo.processInfo.environment
if environment["OPENBLAS_CORETYPE"] == nil, environment["FERRY_NO_REEXEC"] == nil, ferry_cpu_has_avx512() == 1 {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
    setenv("FERRY_NO_REEXEC", "1", 1)
    let arguments = CommandLine.arguments
    var cArguments = arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &cArguments)
    // execv returned: carry on with the default kernels.
}
Ferry.main()
