// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's local time zone at one moment, as a fixed UTC offset from the C library (`localtime_r`, which
/// reads `TZ` and /etc/localtime as Python's `datetime.now()` does). FoundationEssentials knows no zone but GMT
/// without ICU, so `TimeZone.current` would always be UTC.
enum LocalTime {
    /// The offset in effect at `date` (so daylight saving time is right for that moment).
    static func zone(at date: Date) -> TimeZone {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return .gmt }
        return TimeZone(secondsFromGMT: Int(parts.tm_gmtoff)) ?? .gmt
    }
}
