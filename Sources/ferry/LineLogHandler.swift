// SPDX-License-Identifier: Apache-2.0
import Foundation
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
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt,
                                               formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        var text: String
        if json {
            var object: [String: String] = ["time": time, "level": level.rawValue, "logger": label,
                                            "message": message.description]
            for (key, value) in fields { object[key] = value.description }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = "\(level.rawValue.uppercased()) \(time) \(label): \(message)"
            for key in fields.keys.sorted() { text += " \(key)=\(fields[key]!)" }
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
