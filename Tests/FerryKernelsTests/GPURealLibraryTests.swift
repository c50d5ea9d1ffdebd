// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

@testable import FerryKernels

/// The real libraries from scripts/build-gpu-kernels.sh (.build/gpu). Skipped when they were not built. On a
/// machine without a GPU (CI) they must load, check their ABI, and report "no device" clearly; `auto` then picks
/// the CPU. On a GPU machine `GPUKernelTests` compares their kernels with the CPU backend's.
@Suite struct GPURealLibraryTests {
    static let folder = SharedData.repositoryRoot.appendingPathComponent(".build/gpu").path

    static func built(_ platform: GPUPlatform) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + platform.libraryName)
    }

    static let cudaBuilt = built(.cuda)
    static let hipBuilt = built(.hip)

    @Test(.enabled(if: cudaBuilt, "no .build/gpu/libferry_cuda.so (run scripts/build-gpu-kernels.sh cuda)"))
    func cudaLibraryLoadsAndReportsItsDevices() throws {
        try checkRealLibrary(.cuda)
    }

    @Test(.enabled(if: hipBuilt, "no .build/gpu/libferry_hip.so (run scripts/build-gpu-kernels.sh hip)"))
    func hipLibraryLoadsAndReportsItsDevices() throws {
        try checkRealLibrary(.hip)
    }

    func checkRealLibrary(_ platform: GPUPlatform) throws {
        let library: GPULibrary
        do {
            library = try GPULibrary.load(platform, kernelsPath: Self.folder)
        } catch {
            // The HIP runtime (libamdhip64) is not installed everywhere the library is built.
            if platform == .hip, case .gpuLibraryUnusable(_, let detail) = error, detail.contains("libamdhip64") {
                return
            }
            throw error
        }
        #expect(library.platform == platform)
        #expect(String(cString: library.api.pointee.platform) == platform.rawValue)
        #expect(library.api.pointee.abi_version == GPULibrary.abiVersion)
        let count: Int
        do {
            count = try library.deviceCount()
        } catch {
            // No GPU here: the typed error carries the runtime's reason and the fix.
            guard case .gpuNoDevice(let name, let detail) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(name == platform.rawValue)
            #expect(!detail.isEmpty)
            #expect(error.description.contains("--device cpu"))
            let device: ComputeDevice = platform == .cuda ? .cuda : .hip
            #expect(throws: KernelError.self) {
                _ = try DeviceSelection.open(device, threads: 1, kernelsPath: Self.folder)
            }
            let auto = try DeviceSelection.open(.auto, threads: 1, kernelsPath: Self.folder)
            #expect(auto.backend.name == "cpu")
            #expect(auto.reason.contains("\(platform.rawValue): no device"))
            return
        }
        #expect(count > 0)
        let backend = try GPUBackend(library: library)
        #expect(backend.name == "\(platform.rawValue):0")
        #expect((backend.deviceMemory?.total ?? 0) > 0)
    }
}
