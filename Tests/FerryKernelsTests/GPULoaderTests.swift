// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

@testable import FerryKernels

/// Loading the GPU kernel libraries on any machine: absent, wrong ABI, not a Ferry library, and the real
/// libraries built by scripts/build-gpu-kernels.sh (which on a machine without a GPU load and report no device).
@Suite struct GPULoaderTests {
    /// An empty folder for FERRY_KERNELS_PATH.
    static func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-gpu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    /// Compiles `source` with cc into `folder/name`, a shared library.
    static func compileLibrary(_ source: String, named name: String, in folder: String) throws {
        let sourcePath = folder + "/" + name + ".c"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let include = SharedData.repositoryRoot.appendingPathComponent("Sources/CKernelsGPU/include").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-I", include, sourcePath, "-o", folder + "/" + name]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "cc failed to build \(name)")
    }

    /// Device memory is released through its deallocator, host memory with free (the CPU path, unchanged).
    @Test func deviceBuffersAreReleasedThroughTheirOwner() throws {
        final class Released: @unchecked Sendable { var addresses: [UnsafeMutableRawPointer] = [] }
        let released = Released()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 64)
        do {
            let buffer = DeviceBuffer(devicePointer: memory, byteCount: 256) { released.addresses.append($0) }
            #expect(buffer.isDeviceMemory)
            #expect(released.addresses.isEmpty)
        }
        #expect(released.addresses == [memory])
        memory.deallocate()
        #expect(try !DeviceBuffer(byteCount: 64).isDeviceMemory)
    }

    @Test func missingLibraryNamesTheFix() throws {
        let folder = try Self.temporaryFolder()
        #expect(GPULibrary.searchPaths(for: .cuda, kernelsPath: folder).first == folder + "/libferry_cuda.so")
        #expect(GPULibrary.searchPaths(for: .hip, kernelsPath: folder).last == "libferry_hip.so")
        do {
            _ = try DeviceSelection.open(.cuda, threads: 1, kernelsPath: folder)
            Issue.record("--device cuda succeeded without a library")
        } catch {
            guard case .gpuLibraryNotFound(let platform, let searched, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(platform == "cuda")
            #expect(searched.first == folder + "/libferry_cuda.so")
            #expect(error.description.contains("scripts/build-gpu-kernels.sh"))
            #expect(error.description.contains("--device cpu"))
        }
    }

    @Test func autoFallsBackToTheCPUAndSaysWhy() throws {
        let folder = try Self.temporaryFolder()
        let selection = try DeviceSelection.open(.auto, threads: 1, kernelsPath: folder)
        #expect(selection.backend.name == "cpu")
        #expect(selection.reason.contains("no libferry_cuda.so"))
        #expect(selection.reason.contains("no libferry_hip.so"))
        #expect(try DeviceSelection.open(.cpu, threads: 1, kernelsPath: folder).backend.name == "cpu")
    }

    @Test func libraryRejectingTheVersionIsAnABIMismatch() throws {
        let folder = try Self.temporaryFolder()
        try Self.compileLibrary("""
            #include <stddef.h>
            #include <stdint.h>
            const void *ferry_gpu_get_api(uint32_t version) { (void)version; return NULL; }
            """, named: "libferry_cuda.so", in: folder)
        #expect(throws: KernelError.gpuABIMismatch(
            path: folder + "/libferry_cuda.so", expected: GPULibrary.abiVersion,
            detail: "the library does not implement ABI version \(GPULibrary.abiVersion)")) {
            _ = try GPULibrary.load(.cuda, kernelsPath: folder)
        }
        do {
            _ = try DeviceSelection.open(.cuda, threads: 1, kernelsPath: folder)
            Issue.record("an ABI mismatch was accepted")
        } catch {
            #expect(error.description.contains("rebuild it"))
        }
    }

    @Test func tableOfAnotherVersionIsAnABIMismatch() throws {
        let folder = try Self.temporaryFolder()
        try Self.compileLibrary("""
            #include "ferry_gpu.h"
            static ferry_gpu_api table = { FERRY_GPU_ABI_VERSION + 1, sizeof(ferry_gpu_api), "cuda" };
            const ferry_gpu_api *ferry_gpu_get_api(uint32_t version) { (void)version; return &table; }
            """, named: "libferry_cuda.so", in: folder)
        do {
            _ = try GPULibrary.load(.cuda, kernelsPath: folder)
            Issue.record("a table of another version was accepted")
        } catch {
            guard case .gpuABIMismatch(_, _, let detail) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(detail.contains("returned ABI version \(GPULibrary.abiVersion + 1)"))
        }
    }

    @Test func fileWithoutTheEntryIsUnusable() throws {
        let folder = try Self.temporaryFolder()
        try Self.compileLibrary("int not_ferry(void) { return 0; }", named: "libferry_hip.so", in: folder)
        do {
            _ = try GPULibrary.load(.hip, kernelsPath: folder)
            Issue.record("a library without ferry_gpu_get_api was accepted")
        } catch {
            guard case .gpuLibraryUnusable(let path, let detail) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == folder + "/libferry_hip.so")
            #expect(detail.contains("ferry_gpu_get_api"))
        }
    }

    @Test func brokenFileIsUnusableWithTheLoadersMessage() throws {
        let folder = try Self.temporaryFolder()
        try "not an ELF file".write(toFile: folder + "/libferry_cuda.so", atomically: true, encoding: .utf8)
        do {
            _ = try GPULibrary.load(.cuda, kernelsPath: folder)
            Issue.record("a text file loaded as a library")
        } catch {
            guard case .gpuLibraryUnusable(_, let detail) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(detail.contains("libferry_cuda.so"))  // dlerror() names the file
        }
    }
}
