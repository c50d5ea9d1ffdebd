// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import Testing

/// Builders for the malformed model files the tests need: copies of the real stories260K files in a fresh temp
/// folder, truncated or patched byte by byte. Nothing here is generated outside the test.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-model-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Path of `name` inside the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `data` as `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        try data.write(to: url.appendingPathComponent(name))
        return path(name)
    }

    /// Copies every file of a shared model folder except `excluding`.
    func copyFolder(_ relative: String, excluding: Set<String> = []) throws {
        let source = try shared(relative)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where !excluding.contains(name) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name),
                                             to: url.appendingPathComponent(name))
        }
    }

    /// Writes `config.json`: the shared folder's config.json with `changes` applied to its top-level keys.
    func writeConfig(from folder: String, changing changes: [String: Any]) throws {
        var json = try #require(
            JSONSerialization.jsonObject(with: sharedBytes(folder + "/config.json")) as? [String: Any])
        json.merge(changes) { _, new in new }
        try write("config.json", JSONSerialization.data(withJSONObject: json))
    }

    /// Links `name` to a shared file (for the 100 MB GGUF, which tests never modify).
    func link(_ name: String, to relative: String) throws {
        try FileManager.default.createSymbolicLink(at: url.appendingPathComponent(name),
                                                   withDestinationURL: shared(relative))
    }
}

/// A shared test file's URL; throws when `../shared` is absent (tests are disabled then anyway).
func shared(_ relative: String) throws -> URL {
    guard let url = SharedData.path(relative) else { throw SharedDataError.missing(relative) }
    return url
}

/// A shared file's bytes.
func sharedBytes(_ relative: String) throws -> Data {
    try Data(contentsOf: shared(relative))
}

extension Data {
    /// A copy with `bytes` written at `offset`.
    func patched(at offset: Int, with bytes: [UInt8]) -> Data {
        var copy = self
        copy.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        return copy
    }

    /// A copy with the first occurrence of `old` replaced by `new` (same length).
    func replacingFirst(_ old: String, with new: String) -> Data {
        precondition(old.utf8.count == new.utf8.count, "patches keep the file length")
        guard let start = offset(of: old) else { return self }
        return patched(at: start, with: Array(new.utf8))
    }

    /// Position of the first occurrence of `text`'s bytes, or nil.
    func offset(of text: String) -> Int? {
        range(of: Data(text.utf8)).map { $0.lowerBound - startIndex }
    }

    /// The first `count` bytes.
    func prefix(bytes count: Int) -> Data { Data(self[startIndex..<(startIndex + count)]) }
}

extension FixedWidthInteger {
    /// Little-endian bytes of the value.
    var littleEndianBytes: [UInt8] { withUnsafeBytes(of: littleEndian) { Array($0) } }
}
