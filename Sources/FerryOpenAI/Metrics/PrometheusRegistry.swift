// SPDX-License-Identifier: Apache-2.0
import FerryEngine
import FoundationEssentials

/// A set of metric families rendered in the Prometheus text exposition format (version 0.0.4).
///
/// Families are registered once at startup; observations come from any thread (the engine thread, the event
/// loops), each under the registry's lock. `@unchecked Sendable`: every mutable field is guarded by `lock`.
public final class PrometheusRegistry: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// One family: a name, its help and type, and its series by label set.
    struct Family {
        let name: String
        let help: String
        let kind: Kind
        let buckets: [Double]
        var series: [Labels: Series] = [:]
        var order: [Labels] = []
    }

    /// A label set in declaration order.
    public struct Labels: Hashable, Sendable {
        public let pairs: [(String, String)]
        public init(_ pairs: [(String, String)]) { self.pairs = pairs }
        public static func == (a: Labels, b: Labels) -> Bool {
            a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
        public func hash(into hasher: inout Hasher) {
            for (key, value) in pairs { hasher.combine(key); hasher.combine(value) }
        }
    }

    struct Series {
        var value: Double = 0
        var bucketCounts: [UInt64] = []
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private let lock = PosixLock()
    private var families: [String: Family] = [:]
    private var familyOrder: [String] = []

    public init() {}

    /// Declares a family; declaring the same name again keeps the first declaration.
    public func register(_ name: String, kind: Kind, help: String, buckets: [Double] = []) {
        lock.lock()
        defer { lock.unlock() }
        guard families[name] == nil else { return }
        families[name] = Family(name: name, help: help, kind: kind, buckets: buckets.sorted())
        familyOrder.append(name)
    }

    /// Adds `amount` to a counter (or gauge).
    public func increment(_ name: String, by amount: Double = 1, labels: Labels) {
        update(name, labels) { $0.value += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ value: Double, labels: Labels) {
        update(name, labels) { $0.value = value }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, _ value: Double, labels: Labels) {
        lock.lock()
        defer { lock.unlock() }
        guard var family = families[name] else { return }
        var series = family.series[labels] ?? Series(bucketCounts: Array(repeating: 0, count: family.buckets.count))
        if family.series[labels] == nil { family.order.append(labels) }
        for (index, bound) in family.buckets.enumerated() where value <= bound { series.bucketCounts[index] += 1 }
        series.sum += value
        series.count += 1
        family.series[labels] = series
        families[name] = family
    }

    private func update(_ name: String, _ labels: Labels, _ body: (inout Series) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard var family = families[name] else { return }
        var series = family.series[labels] ?? Series()
        if family.series[labels] == nil { family.order.append(labels) }
        body(&series)
        family.series[labels] = series
        families[name] = family
    }

    /// The whole registry in the text format. Counters get the `_total` suffix, as prometheus_client scrapes them.
    public func render() -> String {
        lock.lock()
        defer { lock.unlock() }
        var text = ""
        for name in familyOrder {
            guard let family = families[name] else { continue }
            let exposed = family.kind == .counter ? name + "_total" : name
            text += "# HELP \(exposed) \(escapeHelp(family.help))\n# TYPE \(exposed) \(family.kind.rawValue)\n"
            for labels in family.order {
                let series = family.series[labels]!
                switch family.kind {
                case .counter, .gauge:
                    text += "\(exposed)\(render(labels)) \(format(series.value))\n"
                case .histogram:
                    for (bound, count) in zip(family.buckets, series.bucketCounts) {
                        text += "\(name)_bucket\(render(labels, extra: ("le", format(bound)))) \(count)\n"
                    }
                    text += "\(name)_bucket\(render(labels, extra: ("le", "+Inf"))) \(series.count)\n"
                    text += "\(name)_sum\(render(labels)) \(format(series.sum))\n"
                    text += "\(name)_count\(render(labels)) \(series.count)\n"
                }
            }
        }
        return text
    }

    private func render(_ labels: Labels, extra: (String, String)? = nil) -> String {
        let pairs = labels.pairs + (extra.map { [$0] } ?? [])
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    private func escapeLabel(_ value: String) -> String { escape(value, quotes: true) }

    private func escapeHelp(_ value: String) -> String { escape(value, quotes: false) }

    /// Backslash, line feed (and the double quote in label values) escaped, scalar by scalar.
    private func escape(_ value: String, quotes: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
            case "\n": out.append(contentsOf: #"\n"#.unicodeScalars)
            case "\"" where quotes: out.append(contentsOf: #"\""#.unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Numbers as Prometheus clients print them: integers without a fraction, others in shortest form.
    private func format(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return "\(Int64(value)).0" }
        return "\(value)"
    }
}
