// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C `printf` formatting of one `Double`, for the template functions that must reproduce Python's float formatting
/// digit for digit (`'{:.3e}'.format(x)`, `round(x, n)`): Python formats floats with the same correctly rounded
/// conversions as the C library. Replaces Foundation's `String(format:)`, which the module no longer links.
enum PrintfFormat {
    /// The longest output accepted: `%.340f` of the largest double is about 650 characters.
    private static let capacity = 1024

    /// `value` formatted by `spec`, a single `%` conversion for a double (`%.3f`, `%#.6g`, `%.2e`).
    static func double(_ spec: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: capacity)
        let written = buffer.withUnsafeMutableBufferPointer { output in
            withVaList([value]) { vsnprintf(output.baseAddress, capacity, spec, $0) }
        }
        guard written >= 0 else { return "\(value)" }
        return String(decoding: buffer.prefix(min(Int(written), capacity - 1)).map { UInt8(bitPattern: $0) },
                      as: UTF8.self)
    }
}
