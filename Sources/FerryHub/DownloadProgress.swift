// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Progress lines for one file, at most one per `interval` seconds plus the last:
/// `downloading model.safetensors: 512.0 MB / 1.0 GB (50%), 85.3 MB/s`.
final class DownloadProgress {
    private let name: String
    private let total: Int64
    private let interval: Double
    private let log: @Sendable (String) -> Void
    private let start = Date()
    private var lastLine: Date
    private let startBytes: Int64

    init(name: String, total: Int64, startBytes: Int64, interval: Double, log: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.total = total
        self.startBytes = startBytes
        self.interval = interval
        self.log = log
        lastLine = start
        if startBytes > 0 { log("resuming \(name) at \(ByteCount.text(startBytes)) of \(ByteCount.text(total))") }
    }

    /// Bytes on disk so far; prints when `interval` passed since the last line.
    func update(_ bytes: Int64) {
        let now = Date()
        guard now.timeIntervalSince(lastLine) >= interval else { return }
        lastLine = now
        log(line(bytes, now: now))
    }

    /// The closing line of a finished file.
    func finish(_ bytes: Int64) {
        log(line(bytes, now: Date()).replacingOccurrences(of: "downloading", with: "downloaded"))
    }

    private func line(_ bytes: Int64, now: Date) -> String {
        let seconds = max(now.timeIntervalSince(start), 0.001)
        let rate = Int64(Double(bytes - startBytes) / seconds)
        let percent = total > 0 ? Int(Double(bytes) * 100 / Double(total)) : 100
        return "downloading \(name): \(ByteCount.text(bytes)) / \(ByteCount.text(total)) (\(percent)%), "
            + "\(ByteCount.text(rate))/s"
    }
}
