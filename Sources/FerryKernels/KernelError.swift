// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU

/// A kernel call that failed. C status codes become these on the line that calls the kernel.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case unsupportedType(WeightType, operation: String)
    case outOfMemory(bytes: Int)
    case shapeMismatch(String)
    /// No GPU kernel library of `platform` was found; `searched` lists where, `detail` the last dlopen error.
    case gpuLibraryNotFound(platform: String, searched: [String], detail: String)
    /// The library was found but cannot be used (a dependency is missing, it is not a Ferry library).
    case gpuLibraryUnusable(path: String, detail: String)
    /// The library implements another version of the C ABI than this binary.
    case gpuABIMismatch(path: String, expected: UInt32, detail: String)
    /// The library loaded but found no device or no driver.
    case gpuNoDevice(platform: String, detail: String)
    /// A device allocation failed: `bytes` asked for with `free` of `total` bytes left on `device` ("cuda:0").
    case gpuOutOfMemory(device: String, bytes: Int, free: Int, total: Int)
    /// A GPU runtime, launch or BLAS failure.
    case gpuFailure(String)

    /// Converts a C status; nil for success.
    init?(status: ferry_cpu_status, operation: String) {
        switch status {
        case FERRY_CPU_OK: return nil
        case FERRY_CPU_ERR_OUT_OF_MEMORY: self = .outOfMemory(bytes: 0)
        case FERRY_CPU_ERR_UNSUPPORTED_TYPE: self = .invalidArgument("\(operation): unsupported weight type")
        default: self = .invalidArgument(operation)
        }
    }

    public var description: String {
        switch self {
        case .invalidArgument(let what): "invalid kernel argument: \(what)"
        case .unsupportedType(let type, let operation): "\(operation) does not support \(type) weights"
        case .outOfMemory(let bytes): "out of memory allocating \(bytes) bytes"
        case .shapeMismatch(let what): "shape mismatch: \(what)"
        case .gpuLibraryNotFound(let platform, let searched, let detail):
            "no libferry_\(platform).so found (searched \(searched.joined(separator: ", ")); last error: \(detail)): "
                + "build it with scripts/build-gpu-kernels.sh \(platform) and point FERRY_KERNELS_PATH at its folder, "
                + "or run with --device cpu"
        case .gpuLibraryUnusable(let path, let detail):
            "\(path) cannot be loaded: \(detail) (its CUDA/ROCm libraries must be on LD_LIBRARY_PATH or beside it)"
        case .gpuABIMismatch(let path, let expected, let detail):
            "\(path) does not match this ferry (GPU ABI version \(expected)): \(detail); rebuild it from this "
                + "ferry's source with scripts/build-gpu-kernels.sh"
        case .gpuNoDevice(let platform, let detail):
            "no usable \(platform) device: \(detail) (check the driver, the container's device access, "
                + "\(platform == "cuda" ? "CUDA_VISIBLE_DEVICES" : "HIP_VISIBLE_DEVICES"), or run with --device cpu)"
        case .gpuOutOfMemory(let device, let bytes, let free, let total):
            "out of memory on \(device) allocating \(bytes >> 20) MiB (\(free >> 20) MiB free of \(total >> 20) MiB): "
                + "use a smaller model, lower --gpu-memory-utilization, --max-num-batched-tokens or --max-num-seqs, "
                + "or free the device from other processes"
        case .gpuFailure(let what): "GPU failure: \(what)"
        }
    }
}

/// Throws the typed error for a non-zero C status.
@inline(__always)
func check(_ status: ferry_cpu_status, _ operation: @autoclosure () -> String) throws(KernelError) {
    if status != FERRY_CPU_OK, let error = KernelError(status: status, operation: operation()) { throw error }
}
