// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// The globals `transformers` gives a chat template: Jinja's `range` (capped as in the sandbox), `dict`,
/// `namespace` (no `_`-prefixed names), and transformers' `raise_exception` and `strftime_now`.
enum Builtins {
    /// Jinja's sandbox refuses ranges longer than this.
    static let maxRange = 100_000

    static let globals: [String: JinjaValue] = [
        "range": .callable(JinjaCallable(name: "range", builtin: range)),
        "dict": .callable(JinjaCallable(name: "dict", builtin: dict)),
        "namespace": .callable(JinjaCallable(name: "namespace", builtin: namespace)),
        "raise_exception": .callable(JinjaCallable(name: "raise_exception", builtin: raiseException)),
        "strftime_now": .callable(JinjaCallable(name: "strftime_now", builtin: strftimeNow)),
    ]

    static func range(_: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        if !args.keyword.isEmpty { throw .runtime("range() takes no keyword arguments") }
        var ints: [Int] = []
        for v in args.positional {
            guard let i = PyOps.integer(v) else {
                if case .undefined(let h) = v { throw PyOps.undefinedError(h) }
                throw .runtime("'\(PyOps.typeName(v))' object cannot be interpreted as an integer")
            }
            ints.append(i)
        }
        let (start, stop, step): (Int, Int, Int)
        switch ints.count {
        case 1: (start, stop, step) = (0, ints[0], 1)
        case 2: (start, stop, step) = (ints[0], ints[1], 1)
        case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
        case 0: throw .runtime("range expected at least 1 argument, got 0")
        default: throw .runtime("range expected at most 3 arguments, got \(ints.count)")
        }
        if step == 0 { throw .runtime("range() arg 3 must not be zero") }
        let span = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0)
            : (start > stop ? (start - stop - 1) / (-step) + 1 : 0)
        if span > maxRange {
            throw .runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
        }
        var out: [JinjaValue] = []
        out.reserveCapacity(span)
        var v = start
        for _ in 0 ..< span {
            out.append(.int(v))
            v &+= step
        }
        return .array(out)
    }

    /// `dict(mapping_or_pairs, **kwargs)`.
    static func makeDict(_ function: String, _ args: CallArguments) throws(ChatTemplateError) -> JinjaObject {
        if args.positional.count > 1 {
            throw .runtime("\(function) expected at most 1 argument, got \(args.positional.count)")
        }
        var o = JinjaObject()
        if let first = args.positional.first {
            switch first {
            case .object(let m): o = m
            case .namespace(let ns): o = ns.attributes
            default:
                guard case .array(let items) = first else {
                    if case .tuple(let items) = first { try addPairs(items, &o); break }
                    throw .runtime("'\(PyOps.typeName(first))' object is not iterable")
                }
                try addPairs(items, &o)
            }
        }
        for (k, v) in args.keyword { o[k] = v }
        return o
    }

    static func addPairs(_ items: [JinjaValue], _ o: inout JinjaObject) throws(ChatTemplateError) {
        for (i, item) in items.enumerated() {
            let pair: [JinjaValue]
            switch item {
            case .array(let p), .tuple(let p): pair = p
            case .string(let s): pair = s.unicodeScalars.map { .string(String($0)) }
            default:
                throw .runtime("cannot convert dictionary update sequence element #\(i) to a sequence")
            }
            guard pair.count == 2 else {
                throw .runtime(
                    "dictionary update sequence element #\(i) has length \(pair.count); 2 is required")
            }
            guard case .string(let k) = pair[0] else {
                throw .runtime("dict keys other than strings are not supported")
            }
            o[k] = pair[1]
        }
    }

    static func dict(_: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        .object(try makeDict("dict", args))
    }

    static func checkNamespaceName(_ name: String) throws(ChatTemplateError) {
        if name.hasPrefix("_") {
            throw .runtime(
                "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'. "
                    + "Please rename the attribute.")
        }
    }

    static func namespace(_ renderer: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        let attrs = try makeDict("namespace", args)
        for k in attrs.keys { try checkNamespaceName(k) }
        return renderer.makeNamespace(attrs)
    }

    static func raiseException(_: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        let a = try args.bind("raise_exception", ["message"])
        throw .raised(PyFormat.str(a[0]))
    }

    static func strftimeNow(_ renderer: Renderer, _ args: CallArguments) throws(ChatTemplateError) -> JinjaValue {
        let a = try args.bind("strftime_now", ["format"])
        guard case .string(let fmt) = a[0] else {
            throw .runtime("strftime() argument 1 must be str, not \(PyOps.typeName(a[0]))")
        }
        return .string(Strftime.format(fmt, renderer.now, timeZone: renderer.timeZone))
    }
}

/// C `strftime` in the C locale, as Python's `datetime.strftime` on Linux gives it (glibc's `-` no-padding
/// flag included).
enum Strftime {
    static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]

    static func format(_ fmt: String, _ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond],
                                        from: date)
        let year = c.year!, month = c.month!, day = c.day!, hour = c.hour!, minute = c.minute!, second = c.second!
        let weekday0 = c.weekday! - 1  // 0 = Sunday
        let yday = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let offset = timeZone.secondsFromGMT(for: date)

        func pad(_ v: Int, _ width: Int, _ padChar: Character, _ noPad: Bool) -> String {
            let s = String(v)
            if noPad || s.count >= width { return s }
            return String(repeating: padChar, count: width - s.count) + s
        }

        var out = ""
        let u = Array(fmt)
        var i = 0
        while i < u.count {
            let ch = u[i]
            guard ch == "%", i + 1 < u.count else { out.append(ch); i += 1; continue }
            i += 1
            var noPad = false
            if u[i] == "-", i + 1 < u.count { noPad = true; i += 1 }
            let d = u[i]
            i += 1
            switch d {
            case "Y": out += String(year)
            case "y": out += pad(year % 100, 2, "0", noPad)
            case "C": out += pad(year / 100, 2, "0", noPad)
            case "m": out += pad(month, 2, "0", noPad)
            case "d": out += pad(day, 2, "0", noPad)
            case "e": out += pad(day, 2, " ", noPad)
            case "H": out += pad(hour, 2, "0", noPad)
            case "k": out += pad(hour, 2, " ", noPad)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2, "0", noPad)
            case "l": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2, " ", noPad)
            case "M": out += pad(minute, 2, "0", noPad)
            case "S": out += pad(second, 2, "0", noPad)
            case "f": out += pad((c.nanosecond ?? 0) / 1000, 6, "0", false)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "P": out += hour < 12 ? "am" : "pm"
            case "a": out += String(days[weekday0].prefix(3))
            case "A": out += days[weekday0]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "j": out += pad(yday, 3, "0", noPad)
            case "w": out += String(weekday0)
            case "u": out += String(weekday0 == 0 ? 7 : weekday0)
            case "U": out += pad((yday + 6 - weekday0) / 7, 2, "0", noPad)
            case "W": out += pad((yday + 6 - (weekday0 + 6) % 7) / 7, 2, "0", noPad)
            case "D", "x": out += format("%m/%d/%y", date, timeZone: timeZone)
            case "F": out += format("%Y-%m-%d", date, timeZone: timeZone)
            case "T", "X": out += format("%H:%M:%S", date, timeZone: timeZone)
            case "R": out += format("%H:%M", date, timeZone: timeZone)
            case "r": out += format("%I:%M:%S %p", date, timeZone: timeZone)
            case "c": out += format("%a %b %e %H:%M:%S %Y", date, timeZone: timeZone)
            case "z":
                let m = abs(offset) / 60
                out += (offset < 0 ? "-" : "+") + pad(m / 60, 2, "0", false) + pad(m % 60, 2, "0", false)
            case "Z": out += timeZone.abbreviation(for: date) ?? ""
            case "s": out += String(Int(date.timeIntervalSince1970.rounded(.down)))
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            default:
                out.append("%")
                if noPad { out.append("-") }
                out.append(d)
            }
        }
        return out
    }
}
