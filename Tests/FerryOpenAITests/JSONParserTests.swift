// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(APIError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, 1e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(value["a"] == .array([
            .number(JSONNumber(1)), .number(JSONNumber(-2.5)), .number(JSONNumber(double: 1000, exactInteger: nil)),
            .bool(true), .bool(false), .null, .string("x\né😀"),
        ]))
        #expect(value["b"] == .object([]))
    }

    @Test func keepsIntegersExactAndMarksFractionsAsNonIntegers() throws {
        #expect(try parse("9223372036854775807") == .number(JSONNumber(Int.max)))
        #expect(try parse("-9223372036854775808") == .number(JSONNumber(Int.min)))
        guard case .number(let big) = try parse("9223372036854775808") else { Issue.record("not a number"); return }
        #expect(big.exactInteger == nil && big.integerValue == nil)
        guard case .number(let float) = try parse("16.0") else { Issue.record("not a number"); return }
        #expect(float.exactInteger == nil && float.integerValue == 16)
        guard case .number(let huge) = try parse("1e999") else { Issue.record("not a number"); return }
        #expect(huge.double == .infinity)
    }

    @Test func repeatedKeysReadTheLastValueLikePython() throws {
        #expect(try parse(#"{"n": 1, "n": 2}"#)["n"] == .number(JSONNumber(2)))
    }

    @Test func loneSurrogateEscapeBecomesReplacementCharacter() throws {
        #expect(try parse(#""a\ud800b""#) == .string("a\u{FFFD}b"))
    }

    @Test("Malformed documents are 400s that give the byte offset", arguments: [
        ("", 0, "unexpected end of input, expecting a value"),
        ("{\"a\":}", 5, "unexpected character, expecting a value"),
        ("[1,]", 3, "unexpected character, expecting a value"),
        ("{\"a\" 1}", 5, "expecting ':' after an object key"),
        ("{} x", 3, "unexpected data after the JSON value"),
        ("01", 1, "unexpected data after the JSON value"),
        ("NaN", 0, "unexpected character, expecting a value"),
        ("\"tab\there\"", 4, "a raw control character in a string must be escaped"),
        ("\"\\x\"", 2, "invalid escape sequence"),
        ("\"open", 5, "unterminated string"),
        ("1.", 2, "a decimal point needs digits after it"),
    ])
    func rejectsMalformedJSON(text: String, offset: Int, reason: String) {
        let error = caughtError { _ = try parse(text) }
        #expect(error == schemaError("Invalid JSON in the request body at byte \(offset): \(reason).", param: nil))
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let error = caughtError { _ = try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(error?.message == "Invalid JSON in the request body at byte 0: a string is not valid UTF-8.")
    }

    @Test func nestingBeyondTheLimitIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = caughtError { _ = try parse(deep) }
        #expect(error?.status == 400)
        #expect(error?.message.contains("nesting deeper than 128 levels") == true)
        let allowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(caughtError { _ = try parse(allowed) } == nil)
    }
}
