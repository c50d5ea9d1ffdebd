// SPDX-License-Identifier: Apache-2.0
import CKernelsGPU
#if canImport(Glibc)
import Glibc
#endif

/// The GPU platforms Ferry has kernel libraries for.
public enum GPUPlatform: String, Sendable, CaseIterable {
    case cuda
    case hip

    /// The library's file name: `libferry_cuda.so`, `libferry_hip.so`.
    public var libraryName: String { "libferry_\(rawValue).so" }
}

/// A loaded GPU kernel library: its ABI table (version `FERRY_GPU_ABI_VERSION`) and where it came from.
///
/// `@unchecked Sendable`: the table is immutable static data of a library that is never unloaded.
public struct GPULibrary: @unchecked Sendable {
    public let platform: GPUPlatform
    /// The file (or bare name) that was loaded.
    public let path: String
    let api: UnsafePointer<ferry_gpu_api>

    /// The ABI version this binary speaks.
    public static let abiVersion = UInt32(FERRY_GPU_ABI_VERSION)

    /// Where `load` looks, in order: `$FERRY_KERNELS_PATH/`, `<executable dir>/../lib/ferry/`, then the bare name
    /// for the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, /usr/lib).
    public static func searchPaths(for platform: GPUPlatform, kernelsPath: String?) -> [String] {
        var paths: [String] = []
        if let kernelsPath, !kernelsPath.isEmpty { paths.append(kernelsPath + "/" + platform.libraryName) }
        if let folder = executableFolder() { paths.append(folder + "/../lib/ferry/" + platform.libraryName) }
        paths.append(platform.libraryName)
        return paths
    }

    /// Loads the first library found on `searchPaths`.
    /// - Parameter kernelsPath: a folder searched first; by default the `FERRY_KERNELS_PATH` environment variable.
    /// - Throws: `KernelError.gpuLibraryNotFound` when none exists, `.gpuLibraryUnusable` when one exists but does
    ///   not load, `.gpuABIMismatch` when it implements another ABI version.
    public static func load(_ platform: GPUPlatform, kernelsPath: String? = environment("FERRY_KERNELS_PATH"))
        throws(KernelError) -> GPULibrary
    {
        let candidates = searchPaths(for: platform, kernelsPath: kernelsPath)
        var lastError = "not found"
        for candidate in candidates {
            let isBareName = !candidate.contains("/")
            if !isBareName && access(candidate, F_OK) != 0 { continue }
            var message = [CChar](repeating: 0, count: 1024)
            var table: UnsafePointer<ferry_gpu_api>?
            let status = ferry_gpu_load(candidate, abiVersion, &table, &message, message.count)
            let detail = String(cString: message)
            switch status {
            case FERRY_GPU_LOAD_OK:
                return GPULibrary(platform: platform, path: candidate, api: table!)
            case FERRY_GPU_LOAD_NOT_LOADABLE where isBareName:
                lastError = detail
            case FERRY_GPU_LOAD_ABI_MISMATCH:
                throw .gpuABIMismatch(path: candidate, expected: abiVersion, detail: detail)
            default:
                throw .gpuLibraryUnusable(path: candidate, detail: detail)
            }
        }
        throw .gpuLibraryNotFound(platform: platform.rawValue, searched: candidates, detail: lastError)
    }

    /// Number of devices the library sees.
    /// - Throws: `KernelError.gpuNoDevice` with the runtime's reason when there is no device or no driver.
    public func deviceCount() throws(KernelError) -> Int {
        var count: Int32 = 0
        let status = api.pointee.device_count!(&count)
        if status != FERRY_GPU_OK {
            throw .gpuNoDevice(platform: platform.rawValue, detail: lastError)
        }
        guard count > 0 else { throw .gpuNoDevice(platform: platform.rawValue, detail: "the runtime reports 0 devices") }
        return Int(count)
    }

    /// The device's name ("NVIDIA H100 80GB HBM3").
    public func deviceName(_ device: Int) -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard api.pointee.device_name!(Int32(device), &name, name.count) == FERRY_GPU_OK else { return "unknown" }
        return String(cString: name)
    }

    /// Free and total bytes of a device's memory.
    public func memoryInfo(_ device: Int) throws(KernelError) -> (free: Int, total: Int) {
        var free: UInt64 = 0
        var total: UInt64 = 0
        guard api.pointee.memory_info!(Int32(device), &free, &total) == FERRY_GPU_OK else {
            throw .gpuFailure(lastError)
        }
        return (Int(free), Int(total))
    }

    /// The calling thread's last failure message from the library.
    var lastError: String { api.pointee.last_error!().map { String(cString: $0) } ?? "" }

    private static func executableFolder() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(cString: buffer)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
