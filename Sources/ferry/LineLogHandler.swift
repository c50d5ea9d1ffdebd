// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import FoundationEssentials
import Logging

/// swift-log handler writing one line per event to stderr: `LEVEL time label: message key=value…`, or one JSON
/// object per line with `--log-format json` (for log collectors).
struct LineLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt)
    {
        let fields = metadata.merging(extra ?? [:]) { $1 }
        let time = Timestamp.rfc3339(secondsSince1970: Date().timeIntervalSince1970)
        var text: String
        if json {
            var object: [String: String] = ["time": time, "level": level.rawValue, "logger": label,
                                            "message": message.description]
            for (key, value) in fields { object[key] = value.description }
            var writer = JSONWriter()
            writer.beginObject()
            for key in object.keys.sorted() {
                writer.key(key)
                writer.string(object[key]!)
            }
            writer.endObject()
            text = writer.text
        } else {
            text = "\(level.rawValue.uppercased()) \(time) \(label): \(message)"
            for key in fields.keys.sorted() { text += " \(key)=\(fields[key]!)" }
        }
        StandardStream.error(text + "\n")
    }
}
