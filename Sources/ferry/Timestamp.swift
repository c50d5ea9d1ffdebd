// SPDX-License-Identifier: Apache-2.0

/// RFC 3339 timestamps in UTC for log lines (`2026-01-15T12:00:00.123Z`, what `ISO8601DateFormatter` with
/// fractional seconds wrote), computed from the Unix time: no calendar or time-zone database needed.
enum Timestamp {
    /// `seconds` since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SS.mmmZ` (milliseconds truncated). Limit: years
    /// 1970...9999; other times are clamped into that range.
    static func rfc3339(secondsSince1970 seconds: Double) -> String {
        let milliseconds = Int64((min(max(seconds, 0), 253_402_300_799.999) * 1000).rounded(.down))
        let totalSeconds = milliseconds / 1000
        let (year, month, day) = civilDate(daysSince1970: totalSeconds / 86_400)
        let secondOfDay = totalSeconds % 86_400
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(milliseconds % 1000, 3))Z"
    }

    /// The proleptic Gregorian date of a day count (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
