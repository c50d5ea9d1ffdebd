// SPDX-License-Identifier: Apache-2.0

/// vLLM's SSE framing: every event is exactly `data: <json>\n\n`, the last is `data: [DONE]\n\n`, with no
/// `event:` or `id:` lines and no keep-alive comments.
public enum ServerSentEvents {
    /// The response's `Content-Type`.
    public static let contentType = "text/event-stream"
    /// `data: [DONE]\n\n`, the last event of every stream.
    public static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    static let dataPrefix: [UInt8] = Array("data: ".utf8)
    static let terminator: [UInt8] = Array("\n\n".utf8)

    /// `data: <json>\n\n`.
    public static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes = dataPrefix
        bytes.reserveCapacity(json.count + 8)
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: terminator)
        return bytes
    }

    /// An error after the stream started (status already 200): `data: {"error": {…}}\n\n`. Send `done` after it.
    public static func error(_ error: APIError) -> [UInt8] {
        event(error.body)
    }
}

/// The part of a stream chunk that is the same for every chunk of one response, encoded once:
/// `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`.
struct StreamChunkFrame: Sendable {
    private let prefix: [UInt8]

    init(id: String, object: String, created: Int, model: String) {
        var writer = JSONWriter(capacity: 96 + id.utf8.count + model.utf8.count)
        writer.appendFraming(ServerSentEvents.dataPrefix)
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string(object)
        writer.key("created")
        writer.int(created)
        writer.key("model")
        writer.string(model)
        writer.key("choices")
        writer.beginArray()
        prefix = writer.bytes
    }

    /// One whole event: the frame, the choices `writeChoices` writes, then `usage` and `system_fingerprint` when
    /// given (vLLM omits unset fields in chunks), then `}\n\n`.
    func event(usage: Usage?, systemFingerprint: String?, writeChoices: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(continuing: prefix)
        writeChoices(&writer)
        writer.endArray()
        if let usage {
            writer.key("usage")
            usage.write(to: &writer)
        }
        if let systemFingerprint {
            writer.key("system_fingerprint")
            writer.string(systemFingerprint)
        }
        writer.endObject()
        writer.appendFraming(ServerSentEvents.terminator)
        return writer.bytes
    }
}
