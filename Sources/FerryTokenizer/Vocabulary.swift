// SPDX-License-Identifier: Apache-2.0

/// The model's token strings and ids, looked up by exact UTF-8 bytes.
///
/// Note: keys are UTF-8 byte slices, never `String`, because `String` equality is canonical equivalence and
/// would merge distinct tokens such as `ά` (U+03AC) and `ά` (U+1F71).
struct Vocabulary: Sendable {
    /// Token text by id; nil for ids the vocabulary does not define.
    let tokens: [String?]
    /// Id by token text. When the same text appears twice, the later id wins (llama.cpp `token_to_id`).
    private let idsByText: [ArraySlice<UInt8>: Int32]
    /// Id of each single-scalar token, for U+0000...U+FFFF; -1 when absent. Seeds BPE words without hashing.
    private let basicPlaneIds: [Int32]
    /// Single-scalar tokens above U+FFFF.
    private let astralIds: [UInt32: Int32]
    /// `byteIds[b]` is the id of `<0xBB>` (SentencePiece byte fallback), or -1.
    let byteIds: [Int32]

    /// Ids must be below this (2^24): real vocabularies stay under 300k, and a table is allocated up to the highest id.
    static let maxId = 1 << 24

    /// - Parameter entries: `(text, id)` pairs with ids in `0..<maxId`; ids need not be dense.
    init(entries: [(text: String, id: Int)]) {
        let highestId = entries.map(\.id).filter { $0 < Self.maxId }.max() ?? -1
        var tokens = [String?](repeating: nil, count: highestId + 1)
        var idsByText: [ArraySlice<UInt8>: Int32] = [:]
        idsByText.reserveCapacity(entries.count)
        var basicPlaneIds = [Int32](repeating: -1, count: 0x10000)
        var astralIds: [UInt32: Int32] = [:]
        for (text, id) in entries where id >= 0 && id < Self.maxId {
            tokens[id] = text
            idsByText[ArraySlice(Array(text.utf8))] = Int32(id)
            var scalars = text.unicodeScalars.makeIterator()
            if let scalar = scalars.next(), scalars.next() == nil {
                if scalar.value < 0x10000 { basicPlaneIds[Int(scalar.value)] = Int32(id) } else {
                    astralIds[scalar.value] = Int32(id)
                }
            }
        }
        var byteIds = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let hex = String(byte, radix: 16, uppercase: true)
            let name = "<0x" + (byte < 16 ? "0" + hex : hex) + ">"
            byteIds[byte] = idsByText[ArraySlice(Array(name.utf8))] ?? -1
        }
        self.tokens = tokens
        self.idsByText = idsByText
        self.basicPlaneIds = basicPlaneIds
        self.astralIds = astralIds
        self.byteIds = byteIds
    }

    /// Number of id slots (highest id + 1).
    var count: Int { tokens.count }

    func id(forUTF8 text: ArraySlice<UInt8>) -> Int32? { idsByText[text] }

    func id(for text: String) -> Int32? { idsByText[ArraySlice(Array(text.utf8))] }

    /// The id of the token made of exactly this one scalar.
    @inline(__always)
    func id(forScalar value: UInt32) -> Int32? {
        if value < 0x10000 {
            let id = basicPlaneIds[Int(value)]
            return id >= 0 ? id : nil
        }
        return astralIds[value]
    }

    func token(for id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }
}
