// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Testing
@testable import FerryHTTP

/// HTTP/2 framing of responses, and h2c with prior knowledge through the same router as HTTP/1.1, spoken with
/// hand-built frames (HPACK literals without Huffman coding).
@Suite(.serialized) struct HTTP2Tests {
    // MARK: - Response fields

    @Test func responseFieldsAreLowercaseWithoutConnectionSpecificOnes() {
        let head = ResponseHead(status: .ok,
                                headers: ["Content-Type": "text/event-stream", "Connection": "keep-alive",
                                          "Transfer-Encoding": "chunked", "Keep-Alive": "timeout=5",
                                          "Content-Length": "999", "X-Request-Id": "a\r\nb"],
                                contentLength: 12)
        let fields = HTTP2ResponseFields.fields(of: head, serverName: "ferry")
        #expect(fields.first! == (":status", "200"))
        let names = fields.map(\.name)
        #expect(names.allSatisfy { $0 == $0.lowercased() })
        #expect(!names.contains("connection") && !names.contains("transfer-encoding") && !names.contains("keep-alive"))
        #expect(fields.filter { $0.name == "content-length" }.map(\.value) == ["12"])
        #expect(fields.contains { $0 == ("x-request-id", "a  b") })
        #expect(fields.contains { $0.name == "date" && $0.value.hasSuffix("GMT") })
        #expect(fields.contains { $0 == ("server", "ferry") })
    }

    @Test func aStreamedHeadHasNoContentLengthAndA204NeverDoes() {
        let stream = HTTP2ResponseFields.fields(of: ResponseHead(status: .ok, headers: [:], contentLength: nil),
                                                serverName: nil)
        #expect(!stream.contains { $0.name == "content-length" || $0.name == "server" })
        let empty = HTTP2ResponseFields.fields(of: ResponseHead(status: .noContent, headers: [:], contentLength: 0),
                                               serverName: nil)
        #expect(!empty.contains { $0.name == "content-length" })
    }

    // MARK: - The writer's side of the sink seam

    @Test func theWriterStateHandsAnHTTP2HeadOverOnceAndBodyBytesUnframed() throws {
        var state = ResponseWriterState(highWaterMark: 8, lowWaterMark: 2, maxBufferedBytes: 64)
        let head = ResponseHead(status: .ok, headers: ["Content-Type": "text/event-stream"], contentLength: nil)
        try state.beginHead(status: .ok, keepAlive: true, head: head)
        #expect(state.enqueue([], bodyBytes: 0, isEnd: false, isBounded: false, flushFollows: false) == .scheduleFlush)
        let first = state.takeOutbox()
        #expect(first.head == head && first.chunks.isEmpty && !first.isEnd)
        _ = state.enqueue([[1, 2, 3], [4, 5, 6, 7, 8, 9]], bodyBytes: 9, isEnd: false, isBounded: true,
                          flushFollows: false)
        #expect(!state.isWritable)  // 9 unsent bytes ≥ the high-water mark
        let second = state.takeOutbox()
        #expect(second.head == nil && second.chunks == [[1, 2, 3], [4, 5, 6, 7, 8, 9]])
        #expect(state.connectionQueueChanged(to: 2).isEmpty && state.isWritable)  // the stream framed 7 of them
    }

    // MARK: - h2c end to end

    @Test func h2cWithPriorKnowledgeReachesTheSameRouter() async throws {
        try await withServer { server, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: []))
            try client.send(H2.frame(type: 1, flags: 4, stream: 1, payload: H2.request("POST", "/echo")))
            try client.send(H2.frame(type: 0, flags: 1, stream: 1, payload: Array("hello h2".utf8)))
            let response = try H2.readResponse(client, stream: 1)
            #expect(response.headerBlock.first == 0x88)  // :status 200, indexed
            #expect(String(decoding: response.body, as: UTF8.self) == "hello h2")
            #expect(server.stats.responsesByStatus[200] == 1)
        }
    }

    @Test func aStreamedResponseComesAsDataFramesEndingTheStream() async throws {
        var router = HTTPRouter()
        router.add(.get, "/stream") { _, writer in
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream(headers: ["Content-Type": "text/event-stream"]) else {
                    return
                }
                for index in 0..<3 { stream.write("data: \(index)\n\n") }
                stream.finish()
            }
        }
        try await withServer(responder: router) { _, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: []))
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/stream")))
            try client.send(H2.frame(type: 1, flags: 5, stream: 3, payload: H2.request("GET", "/stream")))
            let responses = try H2.readResponses(client, streams: [1, 3])
            for id: UInt32 in [1, 3] {
                #expect(String(decoding: responses[id]?.body ?? [], as: UTF8.self)
                        == "data: 0\n\ndata: 1\n\ndata: 2\n\n")
            }
        }
    }

    @Test func aLaterStreamIsAnsweredWhileAnEarlierOneWaits() async throws {
        let releaseFirst = Signal()
        var router = HTTPRouter()
        router.add(.get, "/waits") { _, writer in
            DispatchQueue.global().async {
                _ = releaseFirst.wait(seconds: 5)
                guard let stream = try? writer.startStream() else { return }
                stream.write("late")
                stream.finish()
            }
        }
        router.add(.get, "/now") { _, writer in
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream() else { return }
                stream.write("early")
                stream.finish()
            }
        }
        try await withServer(responder: router) { _, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: []))
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/waits"))
                            + H2.frame(type: 1, flags: 5, stream: 3, payload: H2.request("GET", "/now")))
            // Stream 3's whole response comes while stream 1 has sent nothing: no head-of-line blocking, and a
            // client reading stream 1 first must keep stream 3's frames (`readResponses`), not skip them.
            let early = try H2.readResponses(client, streams: [3])
            #expect(String(decoding: early[3]?.body ?? [], as: UTF8.self) == "early")
            releaseFirst.fire()
            let late = try H2.readResponses(client, streams: [1])
            #expect(String(decoding: late[1]?.body ?? [], as: UTF8.self) == "late")
        }
    }

    @Test func aStreamTheClientDoesNotReadBackPressuresItsWriter() async throws {
        let sawBackPressure = LockedValue<Bool?>(nil)
        let written = Signal()
        let drained = Signal()
        var router = HTTPRouter()
        router.add(.get, "/big") { _, writer in
            DispatchQueue.global().async {
                guard let stream = try? writer.startStream() else { return }
                let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
                for _ in 0..<24 { stream.write(chunk) }  // 1.5 MiB, over the 1 MiB high-water mark
                sawBackPressure.set(!stream.isWritable)
                written.fire()
                writer.whenWritable {
                    stream.finish()
                    drained.fire()
                }
            }
        }
        try await withServer(responder: router) { _, port in
            let client = try RawClient(port: port)
            let zeroWindow: [UInt8] = [0, 4, 0, 0, 0, 0]  // SETTINGS_INITIAL_WINDOW_SIZE = 0: no DATA may flow
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: zeroWindow))
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/big")))
            #expect(written.wait())
            #expect(sawBackPressure.get() == true)
            #expect(!drained.wait(seconds: 0.3))
            let grant: [UInt8] = [0, 0x40, 0, 0]  // 4 MiB
            try client.send(H2.frame(type: 8, flags: 0, stream: 0, payload: grant)
                            + H2.frame(type: 8, flags: 0, stream: 1, payload: grant))
            let response = try H2.readResponse(client, stream: 1)
            #expect(response.body.count == 24 << 16)
            #expect(drained.wait())
        }
    }

    @Test func aStalledRequestBodyGets408AndTheStreamIsReset() async throws {
        try await withServer(configure: { $0.timeouts.body = .milliseconds(200) }) { _, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: []))
            try client.send(H2.frame(type: 1, flags: 4, stream: 1, payload: H2.request("POST", "/echo")))
            try client.send(H2.frame(type: 0, flags: 0, stream: 1, payload: Array("part".utf8)))
            let response = try H2.readResponse(client, stream: 1)  // then nothing more: the body stalls
            #expect(String(decoding: response.body, as: UTF8.self).contains("\"code\":408"))
            var resetCode: [UInt8]?
            while resetCode == nil {
                let header = try client.readExactly(9)
                let payload = try client.readExactly(Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2]))
                if header[3] == 3 && header[8] == 1 { resetCode = payload }
            }
            #expect(resetCode == [0, 0, 0, 0])  // RST_STREAM NO_ERROR: stop sending the body
        }
    }

    @Test func anIdleConnectionGetsGoawayNoErrorThenCloses() async throws {
        try await withServer(configure: { $0.timeouts.idle = .milliseconds(200) }) { _, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface + H2.frame(type: 4, flags: 0, stream: 0, payload: []))
            try client.send(H2.frame(type: 1, flags: 5, stream: 1, payload: H2.request("GET", "/live")))
            _ = try H2.readResponse(client, stream: 1)
            var goaway: [UInt8]?
            while goaway == nil {
                let header = try client.readExactly(9)
                let payload = try client.readExactly(Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2]))
                if header[3] == 7 { goaway = payload }
            }
            #expect(goaway.map { Array($0[0..<8]) } == [0, 0, 0, 1, 0, 0, 0, 0])  // last stream 1, NO_ERROR
            #expect(client.isClosedByServer())
        }
    }

    @Test func withHTTP2DisabledThePrefaceIsNotHTTP2() async throws {
        try await withServer(configure: { $0.http2.isEnabled = false }) { _, port in
            let client = try RawClient(port: port)
            try client.send(HTTPConnection.http2Preface)
            let response = try client.readResponse()
            #expect(response.status >= 400)
        }
    }

    @Test func http11StillWorksWhenHTTP2IsEnabled() async throws {
        try await withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("P")  // a prefix of both "POST" and "PRI": the check waits for more
            try client.send("OST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi")
            #expect(try client.readResponse().bodyText == "hi")
        }
    }
}

/// A test client whose received bytes can be read exactly, plain (`RawClient`) or through TLS (`TLSClient`).
protocol ExactReader {
    func readExactly(_ count: Int) throws -> [UInt8]
}

extension RawClient: ExactReader {}
extension TLSClient: ExactReader {}

/// Hand-built HTTP/2 frames for the tests above.
enum H2 {
    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff),
                UInt8(stream & 0xff)] + payload
    }

    /// A request header block: every field a literal without indexing, new name, no Huffman coding.
    static func request(_ method: String, _ path: String) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in [(":method", method), (":path", path), (":scheme", "http"), (":authority", "test")] {
            block.append(0x00)
            block.append(UInt8(name.utf8.count))
            block.append(contentsOf: name.utf8)
            block.append(UInt8(value.utf8.count))
            block.append(contentsOf: value.utf8)
        }
        return block
    }

    /// A stream's response as read off the wire.
    typealias Response = (headerBlock: [UInt8], body: [UInt8])

    /// Reads frames until `stream` ends; returns its header block and body. Frames of other streams are skipped,
    /// so with several streams open use `readResponses`.
    static func readResponse(_ client: some ExactReader, stream: UInt32) throws -> Response {
        try readResponses(client, streams: [stream])[stream]!
    }

    /// Reads frames until every stream in `streams` ended, keeping each one's frames apart: the server
    /// multiplexes, so responses end in the order their handlers finish, not the order they were asked for.
    static func readResponses(_ client: some ExactReader, streams: Set<UInt32>) throws -> [UInt32: Response] {
        var responses: [UInt32: Response] = [:]
        var open = streams
        while !open.isEmpty {
            let frame = try readFrame(client)
            guard open.contains(frame.stream) else { continue }
            if frame.type == 1 { responses[frame.stream, default: ([], [])].headerBlock += frame.payload }
            if frame.type == 0 { responses[frame.stream, default: ([], [])].body += frame.payload }
            if frame.type == 3 { throw RawClient.ClientError(description: "stream \(frame.stream) reset") }
            if frame.type <= 1 && frame.flags & 1 != 0 { open.remove(frame.stream) }
        }
        return responses
    }

    /// Reads one frame.
    static func readFrame(_ client: some ExactReader) throws
        -> (type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8])
    {
        let header = try client.readExactly(9)
        let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
        let id = UInt32(header[5] & 0x7f) << 24 | UInt32(header[6]) << 16 | UInt32(header[7]) << 8 | UInt32(header[8])
        return (header[3], header[4], id, try client.readExactly(length))
    }
}
