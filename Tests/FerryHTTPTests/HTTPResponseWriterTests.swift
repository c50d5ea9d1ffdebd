// SPDX-License-Identifier: Apache-2.0
import Dispatch
import Testing
@testable import FerryHTTP

@Suite(.serialized) struct HTTPResponseWriterTests {
    @Test func aStreamedResponseArrivesChunkByChunkAsItIsWritten() async throws {
        let firstChunkRead = Signal()
        let responder = HTTPHandler { _, writer in
            let stream = try! writer.startStream(headers: ["Content-Type": "text/event-stream"])
            DispatchQueue.global().async {
                stream.write("data: one\n\n")
                // The second chunk is written only after the client has read the first.
                guard firstChunkRead.wait() else { return }
                stream.write("data: two\n\n")
                stream.finish()
            }
        }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\n\r\n")
            let head = try client.readHead()
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(try client.readChunk().map { String(decoding: $0, as: UTF8.self) } == "data: one\n\n")
            firstChunkRead.fire()
            #expect(try client.readChunk().map { String(decoding: $0, as: UTF8.self) } == "data: two\n\n")
            #expect(try client.readChunk() == nil)
            try client.send("GET /again HTTP/1.1\r\n\r\n")  // keep-alive after a stream
            _ = try client.readHead()
        }
    }

    @Test func aHeadIsWrittenOnlyOnce() async throws {
        let secondAttempt = LockedValue<HTTPResponseWriterError?>(nil)
        let responder = HTTPHandler { _, writer in
            try? writer.respond(HTTPResponse(status: .ok))
            do throws(HTTPResponseWriterError) {
                _ = try writer.startStream()
            } catch {
                secondAttempt.set(error)
            }
        }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(secondAttempt.get() == .headAlreadyWritten)
        }
    }

    @Test func aSlowReaderMakesTheWriterNotWritableAndLosesNothing() async throws {
        let total = 4 << 20
        let sawBackPressure = LockedValue(false)
        let responder = HTTPHandler { _, writer in
            let stream = try! writer.startStream()
            let thread = DispatchQueue(label: "producer")
            thread.async {
                var sent = 0
                var counter: UInt8 = 0
                while sent < total {
                    if !stream.isWritable {
                        sawBackPressure.set(true)
                        let drained = Signal()
                        writer.whenWritable { drained.fire() }
                        _ = drained.wait(seconds: 10)
                    }
                    var chunk = [UInt8](repeating: 0, count: 16 << 10)
                    for index in chunk.indices {
                        chunk[index] = counter
                        counter &+= 1
                    }
                    guard stream.write(chunk) else { return }
                    sent += chunk.count
                }
                stream.finish()
            }
        }
        try await withServer(responder: responder, configure: {
            $0.writeBufferHighWaterMark = 128 << 10
            $0.writeBufferLowWaterMark = 32 << 10
            $0.maxWriteBufferBytes = 1 << 20
        }) { _, port in
            let client = try RawClient(port: port, receiveBuffer: 4096)
            try client.send("GET /big HTTP/1.1\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))  // read nothing while the producer runs into the mark
            #expect(sawBackPressure.get())
            let response = try client.readResponse()
            #expect(response.body.count == total)
            var counter: UInt8 = 0
            var intact = true
            for byte in response.body {
                if byte != counter { intact = false }
                counter &+= 1
            }
            #expect(intact)
        }
    }

    @Test func aStreamThatIgnoresBackPressurePastTheLimitClosesTheConnection() async throws {
        let closed = Signal()
        let responder = HTTPHandler { _, writer in
            writer.onClose { closed.fire() }
            let stream = try! writer.startStream()
            DispatchQueue.global().async {
                let chunk = [UInt8](repeating: 7, count: 64 << 10)
                while stream.write(chunk) {}
            }
        }
        try await withServer(responder: responder, configure: { $0.maxWriteBufferBytes = 1 << 20 }) { _, port in
            let client = try RawClient(port: port, receiveBuffer: 4096)
            try client.send("GET /flood HTTP/1.1\r\n\r\n")
            #expect(closed.wait(seconds: 5))
        }
    }

    @Test(arguments: [false, true])
    func aClientDisconnectFiresOnClose(resetInsteadOfFin: Bool) async throws {
        let started = Signal()
        let closed = Signal()
        let writesAfterClose = LockedValue<Bool?>(nil)
        let responder = HTTPHandler { _, writer in
            let stream = try! writer.startStream()
            stream.write("first")
            writer.onClose {
                writesAfterClose.set(stream.write("dropped"))
                closed.fire()
            }
            started.fire()
        }
        try await withServer(responder: responder) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /generate HTTP/1.1\r\n\r\n")
            _ = try client.readHead()
            #expect(started.wait())
            if resetInsteadOfFin { client.reset() } else { client.closeWrite() }
            #expect(closed.wait())
            #expect(writesAfterClose.get() == false)
            try await Task.sleep(for: .milliseconds(50))
            #expect(server.stats.openConnections == 0)
        }
    }

    @Test func aWriterDroppedWithoutAResponseAnswers500() async throws {
        let responder = HTTPHandler { _, _ in }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 500)
            #expect(response.bodyText.contains("InternalServerError"))
        }
    }

    @Test func onFinishReportsTheStatusAndBodySize() async throws {
        let summary = LockedValue<HTTPResponseSummary?>(nil)
        let finished = Signal()
        let responder = HTTPHandler { _, writer in
            writer.onFinish { summary.set($0); finished.fire() }
            try? writer.respond(HTTPResponse(status: .created, body: Array("12345".utf8)))
        }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            #expect(try client.readResponse().status == 201)
            #expect(finished.wait())
            #expect(summary.get() == HTTPResponseSummary(status: .created, bodyBytes: 5, isComplete: true))
        }
    }

    @Test func aStreamToAnHTTP10ClientIsRawAndEndsWithClose() async throws {
        let responder = HTTPHandler { _, writer in
            let stream = try! writer.startStream()
            stream.write("abc")
            stream.write("def")
            stream.finish()
        }
        try await withServer(responder: responder) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.header("Connection") == "close")
            #expect(response.bodyText == "abcdef")
        }
    }
}
