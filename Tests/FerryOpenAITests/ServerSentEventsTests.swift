// SPDX-License-Identifier: Apache-2.0
import FerryOpenAI
import Foundation
import Testing

@Suite struct ServerSentEventsTests {
    @Test func framesEventsAndTheDoneMarkerExactly() {
        #expect(ServerSentEvents.done == Array("data: [DONE]\n\n".utf8))
        #expect(ServerSentEvents.event(Array("{}".utf8)) == Array("data: {}\n\n".utf8))
        #expect(ServerSentEvents.contentType == "text/event-stream")
    }

    @Test func anErrorAfterTheStreamStartedIsOneMoreDataEvent() {
        let event = ServerSentEvents.error(.internalError())
        #expect(String(decoding: event, as: UTF8.self) == "data: " + #"{"error":{"message":"Internal server error","#
            + #""type":"InternalServerError","param":null,"code":500}}"# + "\n\n")
    }
}
