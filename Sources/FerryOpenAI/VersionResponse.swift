// SPDX-License-Identifier: Apache-2.0

/// The `GET /version` response: `{"version": "…"}`.
public struct VersionResponse: Sendable, Equatable {
    public var version: String

    public init(version: String) {
        self.version = version
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        writer.key("version")
        writer.string(version)
        writer.endObject()
        return writer.bytes
    }
}
