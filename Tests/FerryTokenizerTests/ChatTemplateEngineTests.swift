// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import FerryTokenizer

/// Renders `source` with `context`; expected values below were checked against jinja2 3.1 with transformers'
/// environment (`trim_blocks`, `lstrip_blocks`).
private func render(_ source: String, _ context: [String: JinjaValue] = [:], limits: ChatTemplate.Limits = .init())
    throws(ChatTemplateError) -> String
{
    try ChatTemplate(source: source, limits: limits).render(context)
}

private func renderError(_ source: String, _ context: [String: JinjaValue] = [:],
                         limits: ChatTemplate.Limits = .init()) -> ChatTemplateError?
{
    do {
        _ = try render(source, context, limits: limits)
        return nil
    } catch {
        return error
    }
}

private let messages: JinjaValue = [
    ["role": "system", "content": "Be brief."],
    ["role": "user", "content": "Hi"],
    ["role": "assistant", "content": "Hello"],
]

@Suite("Chat template engine")
struct ChatTemplateEngineTests {
    // MARK: Whitespace

    @Test func trimBlocksDropsOneNewlineAfterBlockTags() throws {
        #expect(try render("{% if true %}\nx\n{% endif %}\ny") == "x\ny")
        #expect(try render("{% if true %}\n\nx{% endif %}") == "\nx")
        // Not after variables.
        #expect(try render("{{ 1 }}\nx") == "1\nx")
        // Comments trim too.
        #expect(try render("{# c #}\nx") == "x")
    }

    @Test func lstripBlocksRemovesIndentationBeforeBlockTags() throws {
        #expect(try render("  {% if true %}\n    x\n  {% endif %}\n") == "    x\n")
        #expect(try render("a\n\t {% if true %}b{% endif %}") == "a\nb")
        // Only whitespace may precede the tag on its line.
        #expect(try render("a {% if true %}b{% endif %}") == "a b")
        // `{%+` keeps the indentation; variables are never lstripped.
        #expect(try render("  {%+ if true %}x{% endif %}") == "  x")
        #expect(try render("  {{ 'x' }}") == "  x")
    }

    @Test func dashStripsAllWhitespaceOnItsSide() throws {
        #expect(try render("a  \n {%- if true %} b {% endif -%} \n c") == "a b c")
        #expect(try render("{{- 'a' -}}\n\n  {{- 'b' }}  \n") == "ab  ")
        #expect(try render("x {#- c -#} y") == "xy")
        // `+%}` turns trim_blocks off for that tag.
        #expect(try render("{% if true +%}\nx{% endif %}") == "\nx")
    }

    @Test func newlinesAreNormalizedAndTheFinalOneDropped() throws {
        #expect(try render("a\r\nb\rc\n") == "a\nb\nc")
        #expect(try render("a\n\n") == "a\n")
        #expect(try render("{% raw %}{{ x }}{% endraw %}") == "{{ x }}")
    }

    // MARK: Loops

    @Test func loopVariables() throws {
        let out = try render(
            "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
                + "{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}")
        #expect(out == "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|")
        #expect(try render("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}") == "-2,1-3,2-,")
        #expect(try render("{% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{% endfor %}") == "aba")
    }

    @Test func loopFilterElseAndUnpacking() throws {
        #expect(try render("{% for x in [1, 2, 3, 4] if x is even %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor %}")
            == "1/2:2 2/2:4 ")
        #expect(try render("{% for x in [] %}a{% else %}empty{% endfor %}") == "empty")
        #expect(try render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", ["d": ["b": 1, "a": 2]])
            == "b=1;a=2;")
        #expect(try render("{% for k in d %}{{ k }}{% endfor %}", ["d": ["z": 1, "y": 2]]) == "zy")
        #expect(renderError("{% for a, b in [[1]] %}{% endfor %}") == .runtime("not enough values to unpack (expected 2, got 1)"))
    }

    @Test func breakAndContinue() throws {
        #expect(try render("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}") == "012")
        #expect(try render("{% for i in range(5) %}{% if i is odd %}{% continue %}{% endif %}{{ i }}{% endfor %}") == "024")
        #expect(renderError("{% break %}") == .syntax(line: 1, message: "'break' outside loop"))
    }

    @Test func loopScopesDoNotLeak() throws {
        // Each iteration starts from the outer values; `if` does not open a scope.
        #expect(try render("{% set x = 9 %}{% for i in range(3) %}{{ x }}{% set x = i %}{{ x }}|{% endfor %}{{ x }}")
            == "90|91|92|9")
        #expect(try render("{% if true %}{% set z = 1 %}{% endif %}{{ z }}") == "1")
    }

    // MARK: Namespaces, set, macros

    @Test func namespaceCarriesStateOutOfLoops() throws {
        let out = try render(
            "{% set ns = namespace(total=0, seen=false) %}{% for m in messages %}{% set ns.total = ns.total + 1 %}"
                + "{% if m.role == 'user' %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.seen }} {{ ns }}",
            ["messages": messages])
        #expect(out == "3 True <Namespace {'total': 3, 'seen': True}>")
        #expect(renderError("{% set x = 1 %}{% set x.y = 2 %}") == .runtime("cannot assign attribute on non-namespace object"))
        #expect(renderError("{% set ns = namespace(_a=1) %}")?.message.hasPrefix(
            "Chat templates cannot store underscore-prefixed attributes") == true)
    }

    @Test func setForms() throws {
        #expect(try render("{% set a, b = 1, 2 %}{{ a }}{{ b }}") == "12")
        #expect(try render("{% set x %}a{{ 1 }}b{% endset %}{{ x }}|{% set y | upper %}abc{% endset %}{{ y }}") == "a1b|ABC")
        #expect(try render("{% filter upper %}xyz{% endfilter %}") == "XYZ")
        #expect(try render("{% with a = 1 %}{{ a }}{% endwith %}{{ a }}") == "1")
        #expect(try render("{% generation %}gen{% endgeneration %}") == "gen")
    }

    @Test func macros() throws {
        #expect(try render("{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }} {{ m(3, b=4) }} {{ m(b=5, a=6) }}")
            == "1-2 3-4 6-5")
        // Macros see the template's variables as they are when called.
        #expect(try render("{% macro m() %}{{ x }}{% endmacro %}{% set x = 1 %}{{ m() }}{% set x = 2 %}{{ m() }}") == "12")
        #expect(try render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}") == "321")
        #expect(try render("{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, c=3) }}") == "1(2,){'c': 3}")
        #expect(try render("{% macro m() %}<{{ caller() }}>{% endmacro %}{% call m() %}body{% endcall %}") == "<body>")
        #expect(renderError("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}") == .runtime("macro 'm' takes not more than 1 argument(s)"))
        #expect(renderError("{% macro m(a) %}{{ a.b }}{% endmacro %}{{ m() }}") == .runtime("parameter 'a' was not provided"))
    }

    // MARK: Expressions

    @Test func arithmeticAndComparisonsFollowPython() throws {
        #expect(try render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 10 / 4 }} {{ 1 + 2.0 }} {{ 'ab' * 2 }}")
            == "3 -4 2 1024 2.5 3.0 abab")
        #expect(try render("{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' in 'abc' }} {{ 1 not in [1] }}")
            == "True True True True False")
        #expect(try render("{{ none or 'x' }} {{ 0 and 1 }} {{ 'a' if false else 'b' }} {{ 'x' ~ 1 ~ none }}") == "x 0 b x1None")
    }

    @Test func pythonStringification() throws {
        #expect(try render("{{ none }} {{ true }} {{ 1.0 }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ [1, 'a', none, {'k': (1,)}] }}")
            == "None True 1.0 1e+16 0.30000000000000004 [1, 'a', None, {'k': (1,)}]")
        #expect(try render(#"{{ ["it's", 'say "hi"', "\n"] }}"#) == #"["it's", 'say "hi"', '\n']"#)
    }

    @Test func attributesItemsAndSlices() throws {
        let ctx: [String: JinjaValue] = ["d": ["items": "x", "k": ["n": 1]], "l": [1, 2, 3, 4], "s": "héllo"]
        #expect(try render("{{ d.k.n }} {{ d['k']['n'] }} {{ d['items'] }} {{ d.items is callable }}", ctx) == "1 1 x True")
        #expect(try render("{{ l[-1] }} {{ l[1:] }} {{ l[::-1] }} {{ l[::2] }} {{ l[:-1] }} {{ l[10] }}|", ctx)
            == "4 [2, 3, 4] [4, 3, 2, 1] [1, 3] [1, 2, 3] |")
        #expect(try render("{{ s[1] }} {{ s[::-1] }} {{ s|length }} {{ s[1:3] }}", ctx) == "é olléh 5 él")
    }

    @Test func stringAndDictMethods() throws {
        #expect(try render("{{ '  a b '.strip() }}|{{ 'a,b'.split(',') }}|{{ 'xax'.lstrip('x') }}|{{ 'ab'.startswith('a') }}")
            == "a b|['a', 'b']|ax|True")
        #expect(try render("{{ 'x</think>y'.split('</think>')[-1] }} {{ 'hello world'.title() }} {{ '{} {a}'.format(1, a=2) }}")
            == "y Hello World 1 2")
        #expect(try render("{{ d.get('a') }} {{ d.get('z', 5) }} {{ d.keys()|list }}", ["d": ["a": 1]]) == "1 5 ['a']")
        // The sandbox is immutable: list.append is unsafe.
        #expect(renderError("{{ l.append(1) }}", ["l": [1]]) == .runtime("access to attribute 'append' of 'list' object is unsafe."))
    }

    // MARK: Filters and tests

    @Test func filters() throws {
        #expect(try render("{{ '  x  '|trim }}|{{ 'ab'|upper }}|{{ [3, 1, 2]|sort }}|{{ [1, 2]|join(', ') }}|{{ none|default('d') }}")
            == "x|AB|[1, 2, 3]|1, 2|None")
        #expect(try render("{{ missing|default('d') }} {{ ''|default('e', true) }} {{ 'abc'|replace('b', 'X') }} {{ [1, 2]|last }}")
            == "d e aXc 2")
        let people: JinjaValue = [["name": "a", "age": 3], ["name": "b"]]
        #expect(try render("{{ p|selectattr('age')|map(attribute='name')|list }} {{ p|rejectattr('age')|list }}", ["p": people])
            == "['a'] [{'name': 'b'}]")
        #expect(try render("{{ ['b', 'A', 'a']|unique|list }} {{ [1, 2, 3]|select('odd')|list }} {{ '4.5'|float }} {{ '42'|int }}")
            == "['b', 'A'] [1, 3] 4.5 42")
        #expect(try render("{{ 'a\\nb'|indent(2) }} {{ 2.567|round(2) }} {{ -3|abs }} {{ {'b': 1, 'a': 2}|dictsort }}")
            == "a\n  b 2.57 3 [('a', 2), ('b', 1)]")
    }

    @Test func tojsonMatchesTransformers() throws {
        let d: JinjaValue = ["b": 1, "a": [1.0, "é\"<"], "n": .none]
        #expect(try render("{{ d|tojson }}", ["d": d]) == #"{"b": 1, "a": [1.0, "é\"<"], "n": null}"#)
        #expect(try render("{{ d|tojson(indent=2) }}", ["d": ["a": [1]]]) == "{\n  \"a\": [\n    1\n  ]\n}")
        #expect(try render("{{ d|tojson(sort_keys=true, separators=(',', ':')) }}", ["d": d])
            == #"{"a":[1.0,"é\"<"],"b":1,"n":null}"#)
        #expect(renderError("{{ missing|tojson }}") == .runtime("Object of type Undefined is not JSON serializable"))
    }

    @Test func tests() throws {
        #expect(try render("{{ 1 is number }} {{ true is integer }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }}")
            == "True False True True True")
        #expect(try render("{{ none is none }} {{ 3 is odd }} {{ 10 is divisibleby 5 }} {{ 'a' is eq 'a' }} {{ x is defined }} {{ x is undefined }}")
            == "True True True True False True")
        #expect(try render("{{ 'a' is iterable }} {{ 1 is iterable }} {{ 1 is true }} {{ true is true }}") == "True False False True")
    }

    // MARK: Undefined

    @Test func undefinedBehavesLikeJinjaDefault() throws {
        #expect(try render("{{ x }}|{{ x|length }}|{{ x|list }}|{% for a in x %}a{% endfor %}|{% if x %}y{% else %}n{% endif %}")
            == "|0|[]||n")
        #expect(try render("{{ d.missing }}|{{ d['missing'] }}|{{ l[5] }}|", ["d": [:], "l": []]) == "|||")
        // Using an undefined (attributes, arithmetic, calls) raises Jinja's UndefinedError message.
        #expect(renderError("{{ x.y }}") == .runtime("'x' is undefined"))
        #expect(renderError("{{ d.a.b }}", ["d": [:]]) == .runtime("'dict object' has no attribute 'a'"))
        #expect(renderError("{{ l[3].role }}", ["l": []]) == .runtime("list object has no element 3"))
        #expect(renderError("{{ 'a' + x }}") == .runtime("'x' is undefined"))
        #expect(renderError("{{ f() }}") == .runtime("'f' is undefined"))
    }

    // MARK: Errors

    @Test func syntaxErrorsCarryTheLine() {
        #expect(renderError("ok\n{% if true %}\nunclosed")?.syntaxLine == 3)
        #expect(renderError("a\nb\n{% nosuchtag %}") == .syntax(line: 3, message: "Encountered unknown tag 'nosuchtag'."))
        #expect(renderError("{{ 1 + }}")?.syntaxLine == 1)
        #expect(renderError("x\n\n{{ 'a'|nosuchfilter }}") == .syntax(line: 3, message: "No filter named 'nosuchfilter'."))
        #expect(renderError("x\n{# unclosed") == .syntax(line: 2, message: "Missing end of comment tag"))
        #expect(renderError("{% extends 'base' %}")?.syntaxLine == 1)
    }

    @Test func runtimeErrorsUsePythonMessages() {
        #expect(renderError("{% for x in n %}{% endfor %}", ["n": .none]) == .runtime("'NoneType' object is not iterable"))
        #expect(renderError("{{ 'a' + n }}", ["n": .none]) == .runtime(#"can only concatenate str (not "NoneType") to str"#))
        #expect(renderError("{{ 1 < 'a' }}") == .runtime("'<' not supported between instances of 'int' and 'str'"))
        #expect(renderError("{{ 1 // 0 }}") == .runtime("integer division or modulo by zero"))
        #expect(renderError("{{ raise_exception('Roles must alternate') }}") == .raised("Roles must alternate"))
    }

    @Test func limitsStopRunawayTemplates() {
        let small = ChatTemplate.Limits(maxOutputBytes: 1000, maxLoopIterations: 500, maxCallDepth: 10)
        #expect(renderError("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", limits: small)
            == .runtime("the template ran more than 500 loop iterations"))
        #expect(renderError("{{ 'x' * 600 }}{{ 'y' * 600 }}", limits: small)
            == .runtime("the rendered text exceeds the limit of 1000 bytes"))
        #expect(renderError("{{ 'x' * 5000 }}", limits: small)?.message.contains("limit") == true)
        #expect(renderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", limits: small)
            == .runtime("macro calls nest deeper than 10 levels"))
        #expect(renderError("{{ range(100001)|length }}")
            == .runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."))
        // Deep recursion within the default limits is reported, not a stack overflow.
        let deep = ChatTemplate.Limits(maxCallDepth: 10_000)
        #expect(renderError("{% macro f(n) %}{% if true %}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}", limits: deep)?
            .message.contains("nests") == true)
        // Pathological nesting is refused by the parser.
        let nested = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(renderError("{{ \(nested) }}")?.syntaxLine == 1)
        #expect(renderError(String(repeating: "{% if true %}", count: 300))?.syntaxLine == 1)
    }

    // MARK: API

    @Test func strftimeNowUsesTheInjectedClock() throws {
        var template = try ChatTemplate(source: "{{ strftime_now('%Y-%m-%d %d %b %Y %H:%M %A') }}")
        template.timeZone = TimeZone(identifier: "UTC")!
        let now = Date(timeIntervalSince1970: 1_768_478_400)  // 2026-01-15 12:00:00 UTC
        #expect(try template.render([:], now: now) == "2026-01-15 15 Jan 2026 12:00 Thursday")
    }

    @Test func renderMessagesBuildsTheTransformersContext() throws {
        let template = try ChatTemplate(source:
            "{{ bos_token }}{% for m in messages %}[{{ m.role }}|{{ m.content is defined }}|{{ m.thinking }}|{{ m.reasoning_content }}]{% endfor %}"
                + "{{ tools }}{{ documents }}{{ add_generation_prompt }}{{ eos_token is defined }}{{ enable_thinking }}")
        let out = try template.render(
            messages: [["role": "assistant", "content": .none, "reasoning": "r"], ["role": "user", "content": "x"]],
            addGenerationPrompt: true, bosToken: "<s>", eosToken: nil, extra: ["enable_thinking": false])
        #expect(out == "<s>[assistant|False|r|r][user|True||]NoneNoneTrueFalseFalse")
    }

    @Test func orderedJSONParser() throws {
        let v = try JinjaValue.parseJSON(#"{"z": 1, "a": [1.0, 2, -3e2, true, null], "s": "\u00e9\ud83d\ude00\n", "d": {}}"#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["z", "a", "s", "d"])
        #expect(o["a"] == [.double(1), .int(2), .double(-300), .bool(true), .none])
        #expect(o["s"] == .string("é😀\n"))
        #expect(throws: ChatTemplateError.self) { try JinjaValue.parseJSON("{\"a\": }") }
        #expect(try v.jsonString() == #"{"z": 1, "a": [1.0, 2, -300.0, true, null], "s": "é😀\n", "d": {}}"#)
    }

    @Test func valuesFromSwiftValues() throws {
        let any: [Any?] = [true, 1, 1.5, 2.0, "s", nil, ["b": 1, "a": 2] as [String: Any]]
        #expect(JinjaValue(json: any) == [.bool(true), .int(1), .double(1.5), .double(2.0), "s", .none, ["a": 2, "b": 1]])
    }
}

extension ChatTemplateError {
    var syntaxLine: Int? {
        if case .syntax(let line, _) = self { return line }
        return nil
    }
}
