// SPDX-License-Identifier: Apache-2.0

extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines (Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, which FoundationEssentials lacks).
    public func trimmingWhitespace() -> String { trimming(where: { $0.properties.isWhitespace }) }

    /// The text without leading and trailing scalars for which `isTrimmed` holds.
    public func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
            let last = scalars.lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[first...last])
        return String(text)
    }
}
