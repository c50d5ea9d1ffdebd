// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryHTTP

/// A parser event reduced to comparable facts.
enum ParsedEvent: Equatable, CustomStringConvertible {
    case request(method: String, target: String, version: String, headers: [String], body: String)
    case continueExpected
    case failed(HTTPParserError)

    var description: String {
        switch self {
        case .request(let method, let target, let version, let headers, let body):
            return "\(method) \(target) \(version) \(headers) body=\(body.debugDescription)"
        case .continueExpected: return "100-continue"
        case .failed(let error): return "failed(\(error))"
        }
    }
}

/// Feeds `input` in pieces of `pieceSize` bytes (all at once when nil) and collects every event.
func parse(_ input: String, pieceSize: Int? = nil, limits: HTTPRequestLimits = HTTPRequestLimits()) -> [ParsedEvent] {
    parse(Array(input.utf8), pieceSize: pieceSize, limits: limits)
}

func parse(_ bytes: [UInt8], pieceSize: Int? = nil, limits: HTTPRequestLimits = HTTPRequestLimits()) -> [ParsedEvent] {
    var parser = HTTPParser(limits: limits)
    var events: [ParsedEvent] = []
    var offset = 0
    let step = pieceSize ?? max(bytes.count, 1)
    repeat {
        let end = min(offset + step, bytes.count)
        parser.append(bytes[offset..<end])
        offset = end
        parsing: while true {
            switch parser.next() {
            case .needMoreData:
                break parsing
            case .continueExpected:
                events.append(.continueExpected)
            case .request(let request):
                events.append(.request(method: request.method.rawValue, target: request.target,
                                       version: request.version.description,
                                       headers: request.headers.map { "\($0.name)=\($0.value)" },
                                       body: String(decoding: request.body, as: UTF8.self)))
            case .failed(let error):
                events.append(.failed(error))
                return events
            }
        }
    } while offset < bytes.count
    return events
}

@Suite struct HTTPParserTests {
    static let wellFormed: [String] = [
        "GET /live HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /v1/models?limit=2&x=%20 HTTP/1.0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\nEmpty:\r\nSpaced:   padded value \t\r\n\r\n",
        "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nPOST /c HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
        "PATCH /x HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
    ]

    @Test(arguments: wellFormed)
    func aRequestFedOneByteAtATimeParsesAsWhenFedWhole(input: String) {
        let whole = parse(input)
        #expect(!whole.isEmpty)
        #expect(!whole.contains { if case .failed = $0 { return true } else { return false } })
        // `100 Continue` is asked for only while the body is still missing, so it depends on the split.
        let requests = { (events: [ParsedEvent]) in events.filter { $0 != .continueExpected } }
        #expect(requests(parse(input, pieceSize: 1)) == requests(whole))
        #expect(requests(parse(input, pieceSize: 7)) == requests(whole))
    }

    @Test func requestLineHeadersAndBodyAreParsed() {
        let events = parse("POST /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(events == [.request(method: "POST", target: "/echo?x=1", version: "HTTP/1.1",
                                    headers: ["Host=a", "Content-Length=5"], body: "hello")])
    }

    @Test func chunkedBodyDropsExtensionsAndTrailers() {
        let events = parse(Self.wellFormed[3])
        #expect(events == [.request(method: "POST", target: "/echo", version: "HTTP/1.1",
                                    headers: ["Transfer-Encoding=chunked"], body: "hello world")])
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let targets = parse(Self.wellFormed[6]).compactMap { event -> String? in
            if case .request(_, let target, _, _, _) = event { return target } else { return nil }
        }
        #expect(targets == ["/a", "/b", "/c"])
    }

    @Test func expectContinueIsReportedBeforeTheBodyArrives() {
        let head = "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        #expect(parse(head) == [.continueExpected])
        #expect(parse(head + "abc").count == 1)  // body already there: no 100 needed
        #expect(parse(head + "abc", pieceSize: 1).first == .continueExpected)
    }

    @Test func expectContinueWithABodyOverTheLimitIsRejectedWithout100() {
        let limits = HTTPRequestLimits(maxBodyBytes: 10)
        let events = parse("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n", limits: limits)
        #expect(events == [.failed(.bodyTooLarge)])
    }

    @Test func requestMethodTargetAndQueryAreSplit() {
        var parser = HTTPParser(limits: HTTPRequestLimits())
        parser.append(ArraySlice("OPTIONS http://h:1/v1/chat?stream=1 HTTP/1.1\r\nconnection: Close\r\n\r\n".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.method == .options)
        #expect(request.path == "/v1/chat")
        #expect(request.query == "stream=1")
        #expect(request.headers["CONNECTION"] == "Close")
        #expect(!request.wantsKeepAlive)
    }

    @Test func http10DefaultsToCloseAndHttp11ToKeepAlive() {
        #expect(!HTTPRequest(method: .get, target: "/", version: .http1_0).wantsKeepAlive)
        #expect(HTTPRequest(method: .get, target: "/", version: .http1_0, headers: ["Connection": "keep-alive"])
            .wantsKeepAlive)
        #expect(HTTPRequest(method: .get, target: "/").wantsKeepAlive)
    }

    // MARK: - Every refusal and its status

    static let refusals: [(input: String, error: HTTPParserError, status: Int)] = [
        ("GET /\r\n\r\n", .invalidRequestLine, 400),
        ("GET  / HTTP/1.1\r\n\r\n", .invalidRequestLine, 400),
        ("G(T / HTTP/1.1\r\n\r\n", .invalidRequestLine, 400),
        ("GET / HTTP/1.1\n\n", .invalidRequestLine, 400),
        ("GET / HTTP/2.0\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.1\r\nNo colon\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nName : v\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nA: b\u{1}c\r\n\r\n", .invalidHeader, 400),
        ("GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n", .invalidHeader, 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
         .contentLengthWithTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding, 501),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding, 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", .invalidChunk, 400),
        ("POST / HTTP/1.1\r\nExpect: something\r\n\r\n", .unsupportedExpectation, 417),
        ("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", .bodyTooLarge, 413),
    ]

    @Test(arguments: 0..<refusals.count)
    func malformedRequestsAreRefusedWithTheirStatusWholeAndByteByByte(index: Int) {
        let (input, error, status) = Self.refusals[index]
        #expect(parse(input).last == .failed(error), "\(input.debugDescription)")
        #expect(parse(input, pieceSize: 1).last == .failed(error), "\(input.debugDescription)")
        #expect(error.status.code == status)
    }

    @Test func headersOver64KiBAre431EvenBeforeTheHeadEnds() {
        let big = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70 * 1024)
        #expect(parse(big + "\r\n\r\n") == [.failed(.headerTooLarge)])
        #expect(parse(big) == [.failed(.headerTooLarge)])
        let fits = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 60 * 1024) + "\r\n\r\n"
        #expect(parse(fits).count == 1)
        #expect(parse(fits) != [.failed(.headerTooLarge)])
    }

    @Test func uriOver8KiBIs414EvenBeforeTheLineEnds() {
        let target = "/" + String(repeating: "a", count: 8 * 1024)
        #expect(parse("GET \(target) HTTP/1.1\r\n\r\n") == [.failed(.uriTooLong)])
        #expect(parse("GET \(target)aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            == [.failed(.uriTooLong)])
        #expect(parse("GET \(target.dropLast()) HTTP/1.1\r\n\r\n").count == 1)
    }

    @Test func bodyOverTheLimitIs413FromContentLengthBeforeAnyBodyByte() {
        let limits = HTTPRequestLimits(maxBodyBytes: 16)
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", limits: limits) == [.failed(.bodyTooLarge)])
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\n0123456789abcdef", limits: limits).count == 1)
    }

    @Test func chunkedBodyOverTheLimitIs413AtTheChunkThatCrossesIt() {
        let limits = HTTPRequestLimits(maxBodyBytes: 16)
        let input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n9\r\n"
        #expect(parse(input, limits: limits) == [.failed(.bodyTooLarge)])
        #expect(parse(input, pieceSize: 1, limits: limits) == [.failed(.bodyTooLarge)])
    }

    @Test func aFailedParserStaysFailed() {
        var parser = HTTPParser(limits: HTTPRequestLimits())
        parser.append(ArraySlice("BAD\r\n\r\n".utf8))
        guard case .failed = parser.next() else {
            Issue.record("expected failure")
            return
        }
        parser.append(ArraySlice("GET / HTTP/1.1\r\n\r\n".utf8))
        guard case .failed = parser.next() else {
            Issue.record("expected the parser to stay failed")
            return
        }
    }

    @Test func phaseFollowsTheRequest() {
        var parser = HTTPParser(limits: HTTPRequestLimits())
        #expect(parser.phase == .idle)
        parser.append(ArraySlice("POST / HTTP/1.1\r\nContent-".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(ArraySlice("Length: 2\r\n\r\na".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(ArraySlice("b".utf8))
        guard case .request = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(parser.phase == .idle)
    }
}
