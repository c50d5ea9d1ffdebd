// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the call's name and its `errno`.
///
/// Every syscall FerryHTTP makes goes through `Posix`, which turns `-1` into this error on the same line.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value the call left.
    public let errnoCode: Int32
    /// The system call that failed, e.g. `"bind"`.
    public let function: String

    public init(errnoCode: Int32, function: String) {
        self.errnoCode = errnoCode
        self.function = function
    }

    public var description: String {
        "\(function) failed: \(String(cString: strerror(errnoCode))) (errno \(errnoCode))"
    }

    /// True for errors that mean the peer went away (reset, broken pipe), not a bug on our side.
    public var isPeerGone: Bool {
        errnoCode == ECONNRESET || errnoCode == EPIPE || errnoCode == ETIMEDOUT || errnoCode == ENOTCONN
    }
}

/// The outcome of a non-blocking read or write.
enum IOResult: Equatable {
    /// The call moved this many bytes (never 0 for writes; 0 bytes read is `.endOfFile`).
    case processed(Int)
    /// EAGAIN/EWOULDBLOCK: try again when the descriptor is ready.
    case wouldBlock
    /// A read returned 0: the peer closed its side.
    case endOfFile
}

/// Every system call of FerryHTTP, one wrapper each; `errno` becomes `IOError` here and nowhere else.
///
/// EINTR is retried inside each wrapper; EAGAIN becomes `IOResult.wouldBlock` or `nil`. Thread-safe: the wrappers
/// hold no state.
enum Posix {
    // MARK: - Sockets

    /// Opens a non-blocking, close-on-exec TCP socket of `family` (`AF_INET` or `AF_INET6`).
    static func socket(family: Int32) throws(IOError) -> Int32 {
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(family, type, 0)
        #else
        let fd = Darwin.socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw IOError(errnoCode: errno, function: "socket") }
        #if !canImport(Glibc)
        try setNonBlocking(fd)
        try setOption(fd, SOL_SOCKET, SO_NOSIGPIPE, 1, name: "setsockopt(SO_NOSIGPIPE)")
        #endif
        return fd
    }

    /// Sets an integer socket option.
    static func setOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32, name: String)
        throws(IOError)
    {
        var value = value
        let result = setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        guard result == 0 else { throw IOError(errnoCode: errno, function: name) }
    }

    static func setReuseAddress(_ fd: Int32) throws(IOError) {
        try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, name: "setsockopt(SO_REUSEADDR)")
    }

    /// Turns off Nagle's algorithm: responses are written whole, so waiting for more bytes only adds latency.
    static func setNoDelay(_ fd: Int32) throws(IOError) {
        try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, name: "setsockopt(TCP_NODELAY)")
    }

    /// Lets an IPv6 socket bound to `::` accept IPv4 connections too.
    static func setDualStack(_ fd: Int32) throws(IOError) {
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, name: "setsockopt(IPV6_V6ONLY)")
    }

    /// Sets `O_NONBLOCK` with `fcntl` (Linux sockets get it from `SOCK_NONBLOCK` and `accept4` instead).
    static func setNonBlocking(_ fd: Int32) throws(IOError) {
        let flags = fcntl(fd, F_GETFL, 0)
        guard flags >= 0 else { throw IOError(errnoCode: errno, function: "fcntl(F_GETFL)") }
        guard fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw IOError(errnoCode: errno, function: "fcntl(F_SETFL)")
        }
    }

    static func bind(_ fd: Int32, to address: SocketAddress) throws(IOError) {
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemBind(fd, $0, address.length) }
        }
        guard result == 0 else { throw IOError(errnoCode: errno, function: "bind") }
    }

    static func listen(_ fd: Int32, backlog: Int32) throws(IOError) {
        guard systemListen(fd, backlog) == 0 else { throw IOError(errnoCode: errno, function: "listen") }
    }

    /// Accepts one connection and makes it non-blocking and close-on-exec.
    ///
    /// Note: `accept4` would do this in one call, but Glibc's Swift module does not export it (it needs
    /// `_GNU_SOURCE`), so two `fcntl` calls follow `accept`.
    /// - Returns: the new descriptor and the peer's address, or nil when none is pending (EAGAIN) or the pending
    ///   one was aborted before we took it (ECONNABORTED).
    static func accept(_ fd: Int32) throws(IOError) -> (fd: Int32, peer: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let result = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemAccept(fd, $0, &length) }
            }
            if result >= 0 {
                do throws(IOError) {
                    guard fcntl(result, F_SETFL, O_NONBLOCK) == 0 else {
                        throw IOError(errnoCode: errno, function: "fcntl(F_SETFL)")
                    }
                    guard fcntl(result, F_SETFD, FD_CLOEXEC) == 0 else {
                        throw IOError(errnoCode: errno, function: "fcntl(F_SETFD)")
                    }
                    #if !canImport(Glibc)
                    try setOption(result, SOL_SOCKET, SO_NOSIGPIPE, 1, name: "setsockopt(SO_NOSIGPIPE)")
                    #endif
                } catch {
                    systemClose(result)
                    throw error
                }
                return (result, SocketAddress(storage: storage, length: length))
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK, ECONNABORTED: return nil
            default: throw IOError(errnoCode: errno, function: "accept")
            }
        }
    }

    /// The address a socket is bound to (after binding port 0, this holds the ephemeral port).
    static func localAddress(_ fd: Int32) throws(IOError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw IOError(errnoCode: errno, function: "getsockname") }
        return SocketAddress(storage: storage, length: length)
    }

    /// Closes our sending side (`SHUT_WR`): the peer reads end-of-file after the bytes already queued.
    static func shutdownWrite(_ fd: Int32) {
        _ = systemShutdown(fd, Int32(SHUT_WR))  // ENOTCONN after a reset is harmless here
    }

    /// Closes a descriptor. Errors are ignored: Linux releases the descriptor even when close reports EINTR/EIO.
    static func close(_ fd: Int32) {
        _ = systemClose(fd)
    }

    // MARK: - Reading and writing

    /// Reads up to `buffer.count` bytes into the front of `buffer`.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(IOError) -> IOResult {
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count > 0 { return .processed(count) }
            if count == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw IOError(errnoCode: errno, function: "read")
            }
        }
    }

    /// Most buffers one `writev` takes; the rest wait for the next call.
    static let maxIOVectors = 16

    /// Gathers `chunks` (the first one from `firstOffset`) into one `sendmsg` with `MSG_NOSIGNAL`, so a peer that
    /// has gone never raises SIGPIPE. Writes at most `maxIOVectors` chunks.
    static func writev(_ fd: Int32, _ chunks: ArraySlice<[UInt8]>, firstOffset: Int) throws(IOError) -> IOResult {
        let count = min(chunks.count, maxIOVectors)
        precondition(count > 0, "writev of nothing")
        let start = chunks.startIndex
        let result: Int = withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            /// Pins chunk `index` and every later one with nested `withUnsafeBytes`, then sends them all.
            func pin(_ index: Int) -> Int {
                if index == count {
                    var message = msghdr()
                    message.msg_iov = vectors.baseAddress
                    message.msg_iovlen = numericCast(count)
                    while true {
                        let sent = sendmsg(fd, &message, Int32(noSignalFlag))
                        if sent >= 0 || errno != EINTR { return sent }
                    }
                }
                return chunks[start + index].withUnsafeBytes { bytes in
                    let offset = index == 0 ? firstOffset : 0
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + offset),
                                           iov_len: bytes.count - offset)
                    return pin(index + 1)
                }
            }
            return pin(0)
        }
        if result > 0 { return .processed(result) }
        if result == 0 { return .wouldBlock }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw IOError(errnoCode: errno, function: "sendmsg")
        }
    }

    #if canImport(Glibc)
    private static let noSignalFlag = Int(MSG_NOSIGNAL)
    #else
    private static let noSignalFlag = 0  // Darwin sockets carry SO_NOSIGPIPE instead
    #endif

    // MARK: - Process

    /// Ignores SIGPIPE process-wide: a write to a socket the peer reset must be an error, never a crash.
    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Cores the process may run on, at least 1.
    static func onlineCoreCount() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Seconds since the Unix epoch, for the `Date` header.
    static func wallClockSeconds() -> Int {
        Int(time(nil))
    }

    /// Breaks `seconds` since the epoch into UTC calendar fields.
    static func utcCalendar(_ seconds: Int) -> (year: Int, month: Int, day: Int, weekday: Int, hour: Int,
                                                minute: Int, second: Int)
    {
        var clock = time_t(seconds)
        var fields = tm()
        _ = gmtime_r(&clock, &fields)
        return (Int(fields.tm_year) + 1900, Int(fields.tm_mon), Int(fields.tm_mday), Int(fields.tm_wday),
                Int(fields.tm_hour), Int(fields.tm_min), Int(fields.tm_sec))
    }
}

// MARK: - libc names that our wrappers shadow inside `Posix`

private func systemBind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    bind(fd, address, length)
}

private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }

private func systemShutdown(_ fd: Int32, _ how: Int32) -> Int32 { shutdown(fd, how) }

@discardableResult private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

private func systemAccept(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: inout socklen_t) -> Int32 {
    accept(fd, address, &length)
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
