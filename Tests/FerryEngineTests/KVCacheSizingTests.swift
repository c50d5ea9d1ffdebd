// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryEngine

@Suite struct KVCacheSizingTests {
    @Test func anExplicitBudgetGivesWholeBlocksCappedAtWhatTheSequencesCanUse() throws {
        let sizing = try KVCacheSizing(memoryBytes: 10 << 20, fraction: 0.5, bytesPerToken: 1024, blockSize: 16,
                                       maxModelLen: 512, maxNumSeqs: 4)
        #expect(sizing.numBlocks == 4 * 32 + 1)
        #expect(sizing.maxFullLengthSequences == 4)
        let small = try KVCacheSizing(memoryBytes: 1 << 20, fraction: 0.5, bytesPerToken: 1024, blockSize: 16,
                                      maxModelLen: 512, maxNumSeqs: 256)
        #expect(small.numBlocks == 64)
        #expect(small.maxFullLengthSequences == 1)
    }

    @Test func aFractionOfAvailableMemoryIsUsedWithoutABudget() throws {
        let sizing = try KVCacheSizing(memoryBytes: nil, fraction: 0.25, bytesPerToken: 1024, blockSize: 16,
                                       maxModelLen: 512, maxNumSeqs: 1000, availableBytes: 64 << 20)
        #expect(sizing.numBlocks == (16 << 20) / (16 * 1024))
    }

    @Test func aCacheTooSmallForOneSequenceIsAClearError() {
        #expect(throws: KVCacheSizingError.self) {
            try KVCacheSizing(memoryBytes: 100_000, fraction: 0.5, bytesPerToken: 1024, blockSize: 16,
                              maxModelLen: 512, maxNumSeqs: 8)
        }
    }

    @Test func availableMemoryIsReadOnLinux() {
        #expect((MemoryInfo.availableBytes() ?? 0) > 0)
    }
}
