// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU

/// A kernel call that failed. C status codes become these on the line that calls the kernel.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case unsupportedType(WeightType, operation: String)
    case outOfMemory(bytes: Int)
    case shapeMismatch(String)

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
        }
    }
}

/// Throws the typed error for a non-zero C status.
@inline(__always)
func check(_ status: ferry_cpu_status, _ operation: @autoclosure () -> String) throws(KernelError) {
    if status != FERRY_CPU_OK, let error = KernelError(status: status, operation: operation()) { throw error }
}
