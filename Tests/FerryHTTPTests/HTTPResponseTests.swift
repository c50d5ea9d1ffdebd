// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryHTTP

@Suite struct HTTPResponseTests {
    @Test func errorBodiesHaveOpenAIsShapeWithEscapedMessages() {
        let response = HTTPResponse.error(.badRequest, message: "bad \"x\"\n\u{1}", param: "model")
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"error":{"message":"bad \"x\"\n\u0001","type":"BadRequestError","param":"model","code":400}}"#)
    }

    @Test func errorTypesFollowTheOpenAIClientNamesElseTheReasonPhrase() {
        #expect(HTTPResponse.errorType(for: .notFound) == "NotFoundError")
        #expect(HTTPResponse.errorType(for: .tooManyRequests) == "RateLimitError")
        #expect(HTTPResponse.errorType(for: .serviceUnavailable) == "ServiceUnavailableError")
        #expect(HTTPResponse.errorType(for: .methodNotAllowed) == "MethodNotAllowedError")
    }

    @Test func theHeadEncoderOwnsFramingHeadersAndStripsLineBreaks() {
        var bytes: [UInt8] = []
        ResponseHeadEncoder.encode(status: .ok, headers: ["Content-Length": "999", "X-Evil": "a\r\nInjected: 1",
                                                          "Date": "fixed"],
                                   framing: .length(2), keepAlive: false, requestVersion: .http1_1, serverName: nil,
                                   into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self)
            == "HTTP/1.1 200 OK\r\nX-Evil: a  Injected: 1\r\nDate: fixed\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    }

    @Test func theDateHeaderIsAnIMFFixdate() {
        #expect(String(decoding: HTTPDate.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
