// SPDX-License-Identifier: Apache-2.0

/// One entry of `GET /v1/models` (vLLM's `ModelCard`, with `owned_by: "ferry"`).
public struct ModelCard: Sendable, Equatable {
    /// A served model name.
    public var id: String
    /// Unix seconds (server start).
    public var created: Int
    public var ownedBy: String
    /// The model path or repository the server loaded.
    public var root: String
    /// The base model of an adapter; nil for base models.
    public var parent: String?
    public var maxModelLen: Int

    public init(id: String, created: Int, ownedBy: String = "ferry", root: String, parent: String? = nil,
                maxModelLen: Int) {
        self.id = id
        self.created = created
        self.ownedBy = ownedBy
        self.root = root
        self.parent = parent
        self.maxModelLen = maxModelLen
    }

    /// Writes `{id, object: "model", created, owned_by, root, parent, max_model_len, permission: []}`.
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string("model")
        writer.key("created")
        writer.int(created)
        writer.key("owned_by")
        writer.string(ownedBy)
        writer.key("root")
        writer.string(root)
        writer.key("parent")
        writer.string(orNull: parent)
        writer.key("max_model_len")
        writer.int(maxModelLen)
        writer.key("permission")
        writer.beginArray()
        writer.endArray()
        writer.endObject()
    }
}

/// The `GET /v1/models` response: `{"object": "list", "data": [ModelCard]}`.
public struct ModelList: Sendable, Equatable {
    public var data: [ModelCard]

    public init(data: [ModelCard]) {
        self.data = data
    }

    /// One card per served name, in order.
    public init(servedModelNames: [String], root: String, created: Int, maxModelLen: Int) {
        data = servedModelNames.map { ModelCard(id: $0, created: created, root: root, maxModelLen: maxModelLen) }
    }

    /// The response body.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("object")
        writer.string("list")
        writer.key("data")
        writer.beginArray()
        for card in data { card.write(to: &writer) }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
