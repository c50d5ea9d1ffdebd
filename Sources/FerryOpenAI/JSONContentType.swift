// SPDX-License-Identifier: Apache-2.0

/// The `Content-Type` rule of vLLM's JSON routes.
public enum JSONContentType {
    /// Accepts `application/json` with any parameters (`; charset=utf-8`), in any letter case.
    /// - Throws: `APIError.unsupportedContentType` (400, as vLLM answers, not 415) for anything else or none.
    public static func check(_ contentType: String?) throws(APIError) {
        let mediaType = contentType?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingSpaces.lowercased() }
        guard mediaType == "application/json" else { throw .unsupportedContentType(contentType) }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
