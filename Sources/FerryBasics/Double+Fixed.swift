// SPDX-License-Identifier: Apache-2.0

extension Double {
    /// The value with exactly `digits` decimals (`%.{digits}f` for display: progress, sizes, timings), rounded half
    /// away from zero on the scaled value. Limit: `digits` in 0...9 and magnitudes below 9e9; others, and
    /// non-finite values, fall back to Swift's shortest representation.
    public func fixed(_ digits: Int) -> String {
        guard isFinite, (0...9).contains(digits), abs(self) < 9e9 else { return "\(self)" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((abs(self) * Double(scale)).rounded())
        let sign = self < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return sign + "\(scaled)" }
        let fraction = String(scaled % scale)
        return sign + "\(scaled / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
