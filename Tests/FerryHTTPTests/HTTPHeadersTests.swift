// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryHTTP

@Suite struct HTTPHeadersTests {
    @Test func lookupIgnoresCaseAndReturnsTheFirstValue() {
        let headers: HTTPHeaders = ["Content-Type": "application/json", "X-A": "1", "x-a": "2"]
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-a"] == "1")
        #expect(headers.values(for: "X-A") == ["1", "2"])
        #expect(headers["missing"] == nil)
    }

    @Test func tokensOfAListFieldAreFoundInAnyCase() {
        let headers: HTTPHeaders = ["Connection": "Upgrade, Keep-Alive"]
        #expect(headers.contains(name: "connection", token: "keep-alive"))
        #expect(!headers.contains(name: "connection", token: "close"))
    }

    @Test func replaceOrAddLeavesOneField() {
        var headers: HTTPHeaders = ["A": "1", "a": "2"]
        headers.replaceOrAdd(name: "A", value: "3")
        #expect(headers.fields == [HTTPHeaders.Field(name: "A", value: "3")])
    }
}
