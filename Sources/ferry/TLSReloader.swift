// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryHTTP
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Reloads the server's TLS credentials on SIGHUP and, with `--enable-ssl-refresh`, when their files change.
///
/// A reload builds a new context for new connections; open connections keep theirs. A reload that fails (a
/// missing file, a key that no longer matches) keeps the current credentials and logs an error.
///
/// `@unchecked Sendable`: `lastSignature` and the sources are used only on `queue`.
final class TLSReloader: @unchecked Sendable {
    /// How often `--enable-ssl-refresh` looks at the files (size, modification time, inode).
    static let pollInterval: DispatchTimeInterval = .seconds(1)

    private let context: TLSServerContext
    private let logger: Logger
    private let queue = DispatchQueue(label: "ferry.tls-reload")
    private var sources: [any DispatchSourceProtocol] = []
    private var lastSignature: [String]

    init(context: TLSServerContext, logger: Logger) {
        self.context = context
        self.logger = logger
        lastSignature = Self.signature(of: Self.files(context.configuration))
    }

    /// Starts listening for SIGHUP and, when `watchFiles`, polling the files. Any thread.
    func start(watchFiles: Bool) {
        queue.sync {
            signal(SIGHUP, SIG_IGN)
            let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
            hangup.setEventHandler { @Sendable [self] in reload(reason: "SIGHUP") }
            hangup.resume()
            sources.append(hangup)
            guard watchFiles else { return }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + Self.pollInterval, repeating: Self.pollInterval)
            timer.setEventHandler { @Sendable [self] in pollFiles() }
            timer.resume()
            sources.append(timer)
        }
    }

    private func pollFiles() {
        let signature = Self.signature(of: Self.files(context.configuration))
        guard signature != lastSignature else { return }
        reload(reason: "files changed")
    }

    private func reload(reason: String) {
        lastSignature = Self.signature(of: Self.files(context.configuration))
        do {
            let serial = try context.reload()
            logger.info("TLS certificate reloaded", metadata: ["reason": "\(reason)", "serial": "\(serial)"])
        } catch {
            logger.error("TLS certificate reload failed; new connections keep the current certificate: \(error)",
                         metadata: ["reason": "\(reason)", "serial": "\(context.certificateSerial)"])
        }
    }

    private static func files(_ configuration: TLSConfiguration) -> [String] {
        [configuration.certificateChainFile, configuration.privateKeyFile, configuration.caCertificatesFile]
            .compactMap { $0 }
    }

    /// Size, modification time and inode of each file ("missing" when it cannot be read), so a rewrite in place
    /// and a replacement by rename are both seen.
    private static func signature(of files: [String]) -> [String] {
        files.map { path in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "missing" }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(attributes[.size] ?? 0)/\(modified)/\(attributes[.systemFileNumber] ?? 0)"
        }
    }
}
