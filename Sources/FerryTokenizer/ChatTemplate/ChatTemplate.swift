// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials

/// A Hugging Face chat template (the Jinja `chat_template` of `tokenizer_config.json`), parsed once and rendered
/// as `transformers`' `apply_chat_template(..., tokenize=False)` renders it.
///
/// The engine is a Jinja2 subset interpreter that follows Jinja2 3.1 in the configuration `transformers` uses:
/// an immutable sandbox with `trim_blocks` and `lstrip_blocks`, the `loopcontrols` extension, the `generation`
/// tag, the globals `raise_exception`, `strftime_now`, `namespace`, `dict` and `range`, and a `tojson` filter
/// that is `json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)`. Values behave like
/// the Python objects Jinja sees (Python `str()`/`repr()`, truthiness, `==`, error messages of CPython's
/// `TypeError`s and of Jinja's default `Undefined`).
///
/// Untrusted templates cannot hang or exhaust a server. Each render is bounded by ``Limits``:
/// - `maxOutputBytes` (default 32 MiB): the rendered text, and any string or list built along the way;
/// - `maxLoopIterations` (default 1,000,000): `for` iterations over the whole render (loop filters included);
/// - `maxCallDepth` (default 64): nested macro calls (recursive macros);
/// - `maxNestingDepth` (default 1,000): statements, expressions and macro calls being evaluated inside one
///   another, which bounds the interpreter's stack use (about 0.3 KB a level in release builds, ~5 KB in debug,
///   so the default fits an 8 MiB thread stack in both);
/// plus fixed caps: `range()` yields at most 100,000 items (Jinja's sandbox limit), parsing rejects expressions
/// or blocks nested more than 128 levels deep, and JSON nesting is capped at 512 levels.
///
/// Not supported (the template fails with ``ChatTemplateError/syntax(line:message:)`` or
/// ``ChatTemplateError/runtime(_:)`` instead): template inheritance and loading (`extends`, `block`, `include`,
/// `import`), recursive `for` loops, the `cycler`/`joiner`/`lipsum` globals, the `groupby`, `urlencode`,
/// `striptags`, `wordwrap`, `xmlattr` and `filesizeformat` filters, `\N{...}` string escapes, integers beyond
/// 64 bits, and dict keys other than strings. Known differences: `|safe` and `|escape` give plain strings, so
/// Markup's escaping of what is later added to them with `+` or `%` (and its `Markup` type name in error
/// messages) is not reproduced; a dict's `items()`/`keys()`/`values()` are lists (Python prints `dict_items(...)`),
/// `range()` is a list (prints `[0, 1]`, not `range(0, 2)`), `|items`/`|batch`/`|map` give lists where Jinja gives
/// generators; bound methods print without an address; `is sameas` is false for two strings, lists or dicts
/// (Python compares identity); dict keys that differ only in Unicode normalization are one key (Swift `String`).
public struct ChatTemplate: Sendable {
    /// Resource limits of one render (see the type's documentation).
    public struct Limits: Sendable, Equatable {
        public var maxOutputBytes: Int
        public var maxLoopIterations: Int
        public var maxCallDepth: Int
        public var maxNestingDepth: Int

        public init(maxOutputBytes: Int = 32 << 20, maxLoopIterations: Int = 1_000_000, maxCallDepth: Int = 64,
                    maxNestingDepth: Int = 1_000)
        {
            self.maxOutputBytes = maxOutputBytes
            self.maxLoopIterations = maxLoopIterations
            self.maxCallDepth = maxCallDepth
            self.maxNestingDepth = maxNestingDepth
        }

        /// A cap on strings built by `str` methods (padding, replace) that do not see the configured limits.
        static let hardStringLimit = 64 << 20
    }

    /// The template text.
    public let source: String
    public var limits: Limits
    /// The time zone `strftime_now` formats local time in; nil (the default): the process's at the moment of
    /// rendering, as in Python.
    public var timeZone: TimeZone?
    let nodes: [Node]

    /// Parses the template. Throws ``ChatTemplateError/syntax(line:message:)`` for invalid Jinja.
    public init(source: String) throws(ChatTemplateError) {
        try self.init(source: source, limits: Limits())
    }

    public init(source: String, limits: Limits, timeZone: TimeZone? = nil) throws(ChatTemplateError) {
        self.source = source
        self.limits = limits
        self.timeZone = timeZone
        self.nodes = try Parser.parse(source)
    }

    /// Renders with exactly these variables (nothing is added but the globals). `now` is what
    /// `strftime_now` reports.
    public func render(_ context: [String: JinjaValue], now: Date = Date()) throws(ChatTemplateError) -> String {
        let renderer = Renderer(limits: limits, now: now, timeZone: timeZone ?? LocalTime.zone(at: now))
        return try renderer.render(nodes, context: context)
    }

    /// Renders a conversation as `tokenizer.apply_chat_template(messages, add_generation_prompt=...,
    /// tokenize=False, **extra)` does: the context holds `messages`, `add_generation_prompt`, `tools` and
    /// `documents` (`None` unless `extra` gives them), `bos_token`/`eos_token` when given, and every entry of
    /// `extra` (e.g. `enable_thinking`, `tools`, other special tokens), which wins over the special tokens.
    ///
    /// Like `transformers`, message keys whose value is `None` are dropped first (templates handle a missing
    /// `content` or `tool_calls` better than a `None` one), and a message's reasoning, given as any of
    /// `reasoning_content`, `thinking` or `reasoning`, is also exposed as `thinking` and `reasoning_content`.
    public func render(messages: [JinjaValue], addGenerationPrompt: Bool, bosToken: String?, eosToken: String?,
                       extra: [String: JinjaValue] = [:], now: Date = Date()) throws(ChatTemplateError) -> String
    {
        var context: [String: JinjaValue] = [:]
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        for (k, v) in extra { context[k] = v }
        context["messages"] = .array(messages.map(Self.normalizeMessage))
        context["tools"] = extra["tools"] ?? JinjaValue.none
        context["documents"] = extra["documents"] ?? JinjaValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try render(context, now: now)
    }

    static let reasoningFields = ["reasoning_content", "thinking", "reasoning"]

    /// `apply_chat_template`'s message preparation: `None` values dropped, reasoning aliased.
    static func normalizeMessage(_ message: JinjaValue) -> JinjaValue {
        guard case .object(let o) = message else { return message }
        var m = JinjaObject()
        for (k, v) in o.pairs {
            if case .none = v { continue }
            m[k] = v
        }
        guard let reasoning = reasoningFields.lazy.compactMap({ m[$0] }).first else { return .object(m) }
        // {"thinking": reasoning, **message, "reasoning_content": reasoning}
        var aliased = JinjaObject()
        aliased["thinking"] = reasoning
        for (k, v) in m.pairs { aliased[k] = v }
        aliased["reasoning_content"] = reasoning
        return .object(aliased)
    }
}
