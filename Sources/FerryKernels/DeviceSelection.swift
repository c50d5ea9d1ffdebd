// SPDX-License-Identifier: Apache-2.0

/// `--device`: where the model runs.
public enum ComputeDevice: String, Sendable, CaseIterable {
    case auto
    case cpu
    case cuda
    case hip
}

/// The backend `--device` chose, and why (for the startup log).
public struct DeviceSelection: Sendable {
    public let backend: any ComputeBackend
    /// "cuda:0 (NVIDIA H100 80GB HBM3) from /usr/local/lib/ferry/libferry_cuda.so", "cpu: no libferry_cuda.so ...".
    public let reason: String

    /// Opens the backend `device` asks for.
    ///
    /// `cpu` always succeeds; `cuda` and `hip` load their library and open device 0, and fail with a typed error
    /// naming the fix (library missing, ABI mismatch, no device or driver). `auto` tries CUDA, then HIP, and falls
    /// back to the CPU, saying why each GPU was passed over.
    /// - Parameter kernelsPath: a folder searched first for the libraries (default `$FERRY_KERNELS_PATH`).
    public static func open(_ device: ComputeDevice, threads: Int?,
                            kernelsPath: String? = GPULibrary.environment("FERRY_KERNELS_PATH"))
        throws(KernelError) -> DeviceSelection
    {
        switch device {
        case .cpu:
            return DeviceSelection(backend: CPUBackend(numThreads: threads), reason: "cpu: asked for with --device cpu")
        case .cuda, .hip:
            let platform: GPUPlatform = device == .cuda ? .cuda : .hip
            return try openGPU(platform, kernelsPath: kernelsPath)
        case .auto:
            var passed: [String] = []
            for platform in GPUPlatform.allCases {
                do {
                    return try openGPU(platform, kernelsPath: kernelsPath)
                } catch {
                    passed.append("\(platform.rawValue): \(error.shortReason)")
                }
            }
            return DeviceSelection(backend: CPUBackend(numThreads: threads),
                                   reason: "cpu: no GPU usable (\(passed.joined(separator: "; ")))")
        }
    }

    private static func openGPU(_ platform: GPUPlatform, kernelsPath: String?) throws(KernelError) -> DeviceSelection {
        let library = try GPULibrary.load(platform, kernelsPath: kernelsPath)
        let backend = try GPUBackend(library: library, device: 0)
        return DeviceSelection(backend: backend, reason: "\(backend.name) (\(backend.deviceName)) from \(library.path)")
    }
}

extension KernelError {
    /// One clause for `auto`'s log line.
    var shortReason: String {
        switch self {
        case .gpuLibraryNotFound(let platform, _, _): "no libferry_\(platform).so"
        case .gpuNoDevice(_, let detail): "no device (\(detail))"
        default: description
        }
    }
}
