// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 socket address (host and port), as `bind` takes it and `accept` returns it.
///
/// Note: this file and `Posix.swift` are the only places that touch `sockaddr` memory.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// Raw `sockaddr_in` or `sockaddr_in6` bytes.
    let storage: sockaddr_storage
    /// How many bytes of `storage` are meaningful.
    let length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// True for an IPv6 address.
    public var isIPv6: Bool { Int32(storage.ss_family) == AF_INET6 }

    /// The port in host byte order.
    public var port: Int {
        var storage = storage
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if isIPv6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// The numeric host, e.g. `127.0.0.1` or `::1`.
    public var host: String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var bytes = address.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count))
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var bytes = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &bytes, &text, socklen_t(text.count))
                }
            }
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves a numeric or named host and a port to addresses to bind or connect to.
    ///
    /// Called from any thread; may block on DNS for a name such as `localhost`.
    /// - Parameters:
    ///   - host: `0.0.0.0`, `::`, `127.0.0.1`, `::1`, a name, or nil/empty for every interface (`::`, dual-stack).
    ///   - port: 0 asks the kernel for an ephemeral port when binding.
    /// - Throws: `IOError` with function `getaddrinfo` (and the resolver's code as `errnoCode`) when nothing resolves.
    public static func resolve(host: String?, port: Int) throws(IOError) -> [SocketAddress] {
        let host = (host?.isEmpty ?? true) ? nil : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host ?? "::", String(port), &hints, &list)
        guard status == 0, let first = list else { throw IOError(errnoCode: status, function: "getaddrinfo") }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            let family = entry.pointee.ai_family
            if let raw = entry.pointee.ai_addr, family == AF_INET || family == AF_INET6 {
                var storage = sockaddr_storage()
                let length = min(Int(entry.pointee.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: length))
                }
                let address = SocketAddress(storage: storage, length: socklen_t(length))
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw IOError(errnoCode: EAI_NONAME, function: "getaddrinfo") }
        return addresses
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }

    /// The meaningful bytes of `storage`, for comparing and hashing.
    private var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0.prefix(Int(length))) }
    }
}
