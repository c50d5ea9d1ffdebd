// SPDX-License-Identifier: Apache-2.0
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The listening socket and its accept loop: accepted connections go to the event loops in turn.
///
/// Note: `@unchecked Sendable` because `source` and `nextLoop` are used only on `queue`; `fd` and `address`
/// never change.
final class HTTPListener: @unchecked Sendable {
    let fd: Int32
    /// The bound address, with the real port when port 0 was asked for.
    let address: SocketAddress
    private let queue = DispatchQueue(label: "ferry.http.accept", qos: .userInitiated)
    private var source: (any DispatchSourceRead)?
    private var isPaused = false
    private var nextLoop = 0

    /// Binds and listens on the first of `addresses` that works.
    /// - Throws: the last address's `IOError` when none binds.
    init(addresses: [SocketAddress], backlog: Int) throws(IOError) {
        var lastError = IOError(errnoCode: EADDRNOTAVAIL, function: "bind")
        var opened: (Int32, SocketAddress)?
        for address in addresses where opened == nil {
            do {
                opened = try HTTPListener.open(address, backlog: backlog)
            } catch {
                lastError = error
            }
        }
        guard let opened else { throw lastError }
        (fd, address) = opened
    }

    private static func open(_ address: SocketAddress, backlog: Int) throws(IOError) -> (Int32, SocketAddress) {
        let fd = try Posix.socket(family: address.isIPv6 ? AF_INET6 : AF_INET)
        do {
            try Posix.setReuseAddress(fd)
            if address.isIPv6 && address.host == "::" { try Posix.setDualStack(fd) }
            try Posix.bind(fd, to: address)
            try Posix.listen(fd, backlog: Int32(clamping: backlog))
            return (fd, try Posix.localAddress(fd))
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// Starts accepting; each connection is adopted by the next loop in turn. Any thread.
    func start(loops: [EventLoop]) {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in acceptAll(loops: loops) }
        source.setCancelHandler { [fd] in Posix.close(fd) }
        queue.sync { self.source = source }
        source.resume()
    }

    /// Stops accepting and closes the socket; returns once it is closed, so new connections are refused from then
    /// on. Any thread but the accept queue; idempotent.
    func close() {
        let closed = DispatchSemaphore(value: 0)
        let wasOpen = queue.sync { () -> Bool in
            guard let source else { return false }
            source.setCancelHandler { [fd] in
                Posix.close(fd)
                closed.signal()
            }
            source.cancel()
            if isPaused { source.resume() }
            self.source = nil
            return true
        }
        if wasOpen { _ = closed.wait(timeout: .now() + .seconds(1)) }
    }

    private func acceptAll(loops: [EventLoop]) {
        while true {
            let accepted: (fd: Int32, peer: SocketAddress)?
            do {
                accepted = try Posix.accept(fd)
            } catch {
                // EMFILE/ENFILE/ENOBUFS: out of descriptors or memory. Pause so we do not spin; the backlog waits.
                pause(for: .milliseconds(100))
                return
            }
            guard let (connectionFD, peer) = accepted else { return }
            try? Posix.setNoDelay(connectionFD)
            let loop = loops[nextLoop % loops.count]
            nextLoop &+= 1
            loop.context.stats.acceptedConnections.add(1, ordering: .relaxed)
            loop.execute { loop.adopt(fd: connectionFD, peer: peer) }
        }
    }

    private func pause(for delay: DispatchTimeInterval) {
        guard let source, !isPaused else { return }
        source.suspend()
        isPaused = true
        queue.asyncAfter(deadline: .now() + delay) { [self] in
            guard isPaused, let source = self.source else { return }
            isPaused = false
            source.resume()
        }
    }
}
