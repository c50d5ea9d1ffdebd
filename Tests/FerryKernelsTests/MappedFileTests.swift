// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryKernels

@Suite struct MappedFileTests {
    @Test func mappedFileReadsLittleEndianValuesAndRefusesReadsPastTheEnd() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-mapped-\(getpid()).bin")
        try Data([1, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x42]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try MappedFile(path: url.path)
        #expect(file.count == 10)
        #expect(file.whole.load(UInt64.self, at: 0) == 1)
        #expect(file.whole.string(at: 8, count: 2) == "AB")
        #expect(file.whole.load(UInt32.self, at: 7) == nil)
        #expect(file.region(offset: 8, count: 3) == nil)
    }

    @Test func mappingAMissingFileThrowsNamingThePath() {
        #expect(throws: MappedFileError.self) { try MappedFile(path: "/nonexistent/ferry.bin") }
    }
}
