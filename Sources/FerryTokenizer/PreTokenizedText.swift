// SPDX-License-Identifier: Apache-2.0

/// One normalized text segment as a scalar buffer cut into pieces; the model tokenizes each piece on its own.
///
/// Splitting stages (`Split`, `Digits`, the byte-level regex) only refine `pieces`; rewriting stages (byte-level
/// mapping, `Metaspace`) rebuild `scalars`. This keeps one buffer per segment instead of one string per word.
struct PreTokenizedText {
    /// Unicode scalar values of the segment, as rewritten so far.
    var scalars: [UInt32]
    /// The pieces, in order; ranges index `scalars`. Gaps are text a stage removed.
    var pieces: [Piece]

    struct Piece {
        var range: Range<Int>
        /// True when the piece starts at offset 0 of the original input text (`Metaspace` with `prepend_scheme:
        /// first` prepends only there).
        var isAtTextStart: Bool
    }

    /// One piece covering `scalars`, or none when it is empty.
    init(scalars: [UInt32], isAtTextStart: Bool) {
        self.scalars = scalars
        self.pieces = scalars.isEmpty ? [] : [Piece(range: 0..<scalars.count, isAtTextStart: isAtTextStart)]
    }

    /// Replaces each piece by the non-empty sub-ranges `cut` appends for it (ranges index `scalars`, in order).
    mutating func split(_ cut: (_ scalars: [UInt32], _ piece: Range<Int>, _ parts: inout [Range<Int>]) -> Void) {
        var newPieces: [Piece] = []
        newPieces.reserveCapacity(pieces.count * 2)
        var parts: [Range<Int>] = []
        for piece in pieces {
            parts.removeAll(keepingCapacity: true)
            cut(scalars, piece.range, &parts)
            for part in parts where !part.isEmpty {
                newPieces.append(
                    Piece(range: part, isAtTextStart: piece.isAtTextStart && part.lowerBound == piece.range.lowerBound))
            }
        }
        pieces = newPieces
    }

    /// Rebuilds `scalars`, letting `rewrite` append each piece's new content; drops pieces that become empty.
    mutating func rewrite(_ rewrite: (_ scalars: [UInt32], _ piece: Piece, _ output: inout [UInt32]) -> Void) {
        var output: [UInt32] = []
        output.reserveCapacity(scalars.count + scalars.count / 2)
        var newPieces: [Piece] = []
        newPieces.reserveCapacity(pieces.count)
        for piece in pieces {
            let start = output.count
            rewrite(scalars, piece, &output)
            if output.count > start {
                newPieces.append(Piece(range: start..<output.count, isAtTextStart: piece.isAtTextStart))
            }
        }
        scalars = output
        pieces = newPieces
    }
}
