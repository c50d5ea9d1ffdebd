// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Synchronization

/// A serial DispatchQueue that owns a set of connections: their sockets' read and write sources fire on it, and
/// every access to a connection's state happens on it. A connection stays on one loop for its whole life.
///
/// Note: `@unchecked Sendable` because all mutable state (`connections`, `readBuffer`, `ticker`) is touched only
/// on `queue`; `execute` is how other threads get there.
final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    let context: ServerContext
    /// Scratch space every connection of this loop reads into (64 KiB), so idle connections hold no read buffer.
    var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    private let identity: Int
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private var ticker: (any DispatchSourceTimer)?

    private static let identityKey = DispatchSpecificKey<Int>()
    private static let nextIdentity = Atomic<Int>(1)

    init(index: Int, context: ServerContext) {
        identity = EventLoop.nextIdentity.wrappingAdd(1, ordering: .relaxed).oldValue
        queue = DispatchQueue(label: "ferry.http.loop\(index)", qos: .userInitiated)
        self.context = context
        queue.setSpecific(key: EventLoop.identityKey, value: identity)
    }

    /// True when the caller runs on this loop's queue. Any thread.
    var inEventLoop: Bool { DispatchQueue.getSpecific(key: EventLoop.identityKey) == identity }

    /// Runs `work` on the loop, after what is already queued. Any thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    // MARK: - Connections (on the loop)

    /// Takes ownership of an accepted socket and starts serving it. Called on the loop.
    /// A connection whose TLS session cannot be made (out of memory) is dropped.
    func adopt(fd: Int32, peer: SocketAddress) {
        let transport: ConnectionTransport
        do {
            transport = try ConnectionTransport.make(fd: fd, context: context)
        } catch {
            Posix.close(fd)
            return
        }
        let connection = HTTPConnection(fd: fd, peer: peer, loop: self, transport: transport)
        connections[ObjectIdentifier(connection)] = connection
        context.stats.openConnections.add(1, ordering: .relaxed)
        connection.start()
    }

    /// Forgets a connection that closed. Called on the loop by the connection.
    func connectionClosed(_ connection: HTTPConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            context.stats.openConnections.subtract(1, ordering: .relaxed)
        }
    }

    /// Applies `body` to every open connection of this loop. Called on the loop.
    func forEachConnection(_ body: (HTTPConnection) -> Void) {
        for connection in Array(connections.values) { body(connection) }
    }

    // MARK: - Deadlines

    /// Starts checking every connection's deadlines each `interval`. Any thread.
    func startTicker(interval: Duration) {
        let nanoseconds = Int(interval.components.seconds) * 1_000_000_000
            + Int(interval.components.attoseconds / 1_000_000_000)
        execute { [self] in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds),
                           leeway: .nanoseconds(nanoseconds / 10))
            timer.setEventHandler { [unowned self] in
                let now = ContinuousClock.now
                forEachConnection { $0.checkDeadlines(now: now) }
            }
            timer.resume()
            ticker = timer
        }
    }

    /// Stops the deadline checks (the server shut down). Any thread.
    func stopTicker() {
        execute { [self] in
            ticker?.cancel()
            ticker = nil
        }
    }
}
