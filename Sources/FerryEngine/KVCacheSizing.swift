// SPDX-License-Identifier: Apache-2.0
import FerryBasics
import FoundationEssentials

/// How many KV blocks to allocate: from an explicit byte budget, or a fraction of the memory available to the
/// process (the cgroup limit in a container, else MemAvailable), never more than `maxNumSeqs` full-length
/// sequences need.
public struct KVCacheSizing: Sendable, Equatable {
    public let numBlocks: Int
    public let bytes: Int
    /// How many sequences of `maxModelLen` tokens fit at once.
    public let maxFullLengthSequences: Int

    /// - Parameters:
    ///   - memoryBytes: `--kv-cache-memory-bytes`, or nil to use `fraction` of `MemoryInfo.availableBytes()`.
    ///   - bytesPerToken: KV bytes of one token over all layers.
    /// - Throws: `KVCacheSizingError.tooSmall` when not even one full-length sequence fits.
    public init(memoryBytes: Int?, fraction: Double, bytesPerToken: Int, blockSize: Int, maxModelLen: Int,
                maxNumSeqs: Int, availableBytes: Int? = MemoryInfo.availableBytes()) throws(KVCacheSizingError)
    {
        let budget = memoryBytes ?? Int(Double(availableBytes ?? (1 << 30)) * fraction)
        let blockBytes = bytesPerToken * blockSize
        let blocksPerSequence = (maxModelLen + blockSize - 1) / blockSize
        var blocks = budget / max(blockBytes, 1)
        blocks = min(blocks, blocksPerSequence * maxNumSeqs + 1)  // +1: the null block
        guard blocks - 1 >= blocksPerSequence else {
            throw .tooSmall(bytes: budget, neededBytes: (blocksPerSequence + 1) * blockBytes,
                            maxModelLen: maxModelLen)
        }
        numBlocks = blocks
        bytes = blocks * blockBytes
        maxFullLengthSequences = (blocks - 1) / blocksPerSequence
    }
}

/// Why the KV cache cannot be sized.
public enum KVCacheSizingError: Error, Equatable, CustomStringConvertible {
    case tooSmall(bytes: Int, neededBytes: Int, maxModelLen: Int)

    public var description: String {
        switch self {
        case .tooSmall(let bytes, let needed, let maxModelLen):
            "a KV cache of \(bytes) bytes cannot hold one sequence of --max-model-len \(maxModelLen) "
                + "(\(needed) bytes needed): give more --kv-cache-memory-bytes or a smaller --max-model-len"
        }
    }
}

/// Memory the process may still use.
public enum MemoryInfo {
    /// The smaller of the cgroup v2 headroom (`memory.max − memory.current`) and `/proc/meminfo` MemAvailable;
    /// nil when neither can be read.
    public static func availableBytes() -> Int? {
        var candidates: [Int] = []
        if let limit = readNumber("/sys/fs/cgroup/memory.max"), let current = readNumber("/sys/fs/cgroup/memory.current") {
            candidates.append(max(0, limit - current))
        }
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            candidates.append(kilobytes * 1024)
        }
        return candidates.min()
    }

    private static func readNumber(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
            Int($0.trimmingWhitespace())
        }
    }
}
