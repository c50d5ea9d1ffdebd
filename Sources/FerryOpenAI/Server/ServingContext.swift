// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FerryEngine
import FerryHTTP
import FoundationEssentials

/// What every handler shares: settings, metrics, the server's phase, the model once loaded, and the sessions in
/// flight (so a drain can wait for them and abort them at its timeout).
///
/// `@unchecked Sendable`: `phase`, `model` and `sessions` are guarded by `lock`; the rest is immutable.
public final class ServingContext: @unchecked Sendable {
    public let settings: ServingSettings
    public let metrics: ServerMetrics
    /// Log lines (one per request, and errors); set by the executable.
    public let log: @Sendable (_ level: String, _ message: String, _ fields: [String: String]) -> Void
    private let lock = PosixLock()
    private var currentPhase = ServerPhase.loading
    private var loadedModel: ServingModel?
    private var sessions: [ObjectIdentifier: GenerationSession] = [:]

    public init(settings: ServingSettings, metrics: ServerMetrics,
                log: @escaping @Sendable (String, String, [String: String]) -> Void)
    {
        self.settings = settings
        self.metrics = metrics
        self.log = log
    }

    public var phase: ServerPhase {
        get { lock.withLock { currentPhase } }
        set { lock.withLock { currentPhase = newValue } }
    }

    /// The model; nil while loading.
    public var model: ServingModel? {
        get { lock.withLock { loadedModel } }
        set { lock.withLock { loadedModel = newValue } }
    }

    /// Generation requests in flight.
    public var numSessions: Int { lock.withLock { sessions.count } }

    func track(_ session: GenerationSession) {
        lock.withLock { sessions[ObjectIdentifier(session)] = session }
    }

    func untrack(_ session: GenerationSession) {
        lock.withLock { sessions[ObjectIdentifier(session)] = nil }
    }

    /// Aborts every request in flight (drain timeout, immediate shutdown); their responses end with
    /// `finish_reason: "abort"`.
    public func abortAll() {
        let inFlight = lock.withLock { Array(sessions.values) }
        for session in inFlight { session.abort() }
    }

    /// Writes `: keep-alive` comments every `interval` seconds while `isActive` holds (0: none).
    func keepAlive(_ stream: HTTPBodyStream, every interval: Double, while isActive: @escaping @Sendable () -> Bool) {
        guard interval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            guard isActive(), !stream.writer.isClosed else {
                timer.cancel()
                return
            }
            _ = stream.write(Array(": keep-alive\n\n".utf8))
        }
        timer.resume()
    }
}
