// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Testing

@Suite struct JSONWriterTests {
    @Test func writesStructureWithCommasInCallOrder() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("b")
        writer.int(1)
        writer.key("a")
        writer.beginArray()
        writer.bool(true)
        writer.null()
        writer.double(0.1)
        writer.beginObject()
        writer.endObject()
        writer.endArray()
        writer.key("c")
        writer.string("x")
        writer.endObject()
        #expect(writer.text == #"{"b":1,"a":[true,null,0.1,{}],"c":"x"}"#)
    }

    @Test func escapesQuotesBackslashesAndEveryControlCharacter() {
        var writer = JSONWriter()
        writer.string("q\"b\\n\nr\rt\tb\u{8}f\u{C}z\u{0}u\u{1F}d\u{7F}")
        #expect(writer.text == #""q\"b\\n\nr\rt\tb\bf\fz\u0000u\u001fd"# + "\u{7F}\"")
    }

    @Test func keepsNonASCIIAndNonBMPTextAsRawUTF8() throws {
        var writer = JSONWriter()
        writer.string("é 中 😀 \u{2028}")
        #expect(writer.bytes == Array("\"é 中 😀 \u{2028}\"".utf8))
        #expect(try ParsedJSON(writer.bytes) == .string("é 中 😀 \u{2028}"))
    }

    @Test func writesDoublesInShortestRoundTripFormLikePythonRepr() {
        var writer = JSONWriter()
        writer.beginArray()
        for value in [-9999.0, 0.0, -0.10000000149011612, 1e-05, 1e16, 123.5] { writer.double(value) }
        writer.endArray()
        #expect(writer.text == "[-9999.0,0.0,-0.10000000149011612,1e-05,1e+16,123.5]")
    }

    @Test func writesNonFiniteDoublesAsNull() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.double(.infinity)
        writer.double(-.infinity)
        writer.double(.nan)
        writer.endArray()
        #expect(writer.text == "[null,null,null]")
    }

    @Test func roundTripsParsedValuesInKeyOrder() throws {
        let source = #"{"z":[1,2.5,"s"],"a":{"k":null,"t":true},"m":-3}"#
        var writer = JSONWriter()
        writer.value(try JSONValue.parse(Array(source.utf8)))
        #expect(writer.text == source)
    }
}
