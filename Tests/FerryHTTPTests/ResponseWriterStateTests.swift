// SPDX-License-Identifier: Apache-2.0
import Synchronization
import Testing
@testable import FerryHTTP

@Suite struct ResponseWriterStateTests {
    func makeState() -> ResponseWriterState {
        ResponseWriterState(highWaterMark: 100, lowWaterMark: 20, maxBufferedBytes: 300)
    }

    func bytes(_ count: Int) -> [[UInt8]] { [[UInt8](repeating: 1, count: count)] }

    @Test func aHeadCanBeWrittenOnlyOnce() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        #expect(throws: HTTPResponseWriterError.headAlreadyWritten) {
            try state.beginHead(status: .ok, keepAlive: true)
        }
    }

    @Test func bodyBytesBeforeTheHeadAndAfterTheEndAreDropped() throws {
        var state = makeState()
        #expect(state.enqueue(bytes(1), bodyBytes: 1, isEnd: false, isBounded: true, flushFollows: false) == .dropped)
        try state.beginHead(status: .ok, keepAlive: true)
        #expect(state.enqueue(bytes(1), bodyBytes: 1, isEnd: true, isBounded: false, flushFollows: false)
            == .scheduleFlush)
        #expect(state.enqueue(bytes(1), bodyBytes: 1, isEnd: false, isBounded: true, flushFollows: false) == .dropped)
        #expect(state.enqueue(bytes(1), bodyBytes: 1, isEnd: true, isBounded: false, flushFollows: false) == .dropped)
    }

    @Test func oneFlushIsScheduledForManyWritesUntilTheLoopTakesThem() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        #expect(state.enqueue(bytes(5), bodyBytes: 5, isEnd: false, isBounded: true, flushFollows: false)
            == .scheduleFlush)
        #expect(state.enqueue(bytes(5), bodyBytes: 5, isEnd: false, isBounded: true, flushFollows: false) == .none)
        let taken = state.takeOutbox()
        #expect(taken.chunks.count == 2)
        #expect(!taken.isEnd)
        #expect(state.enqueue(bytes(5), bodyBytes: 5, isEnd: false, isBounded: true, flushFollows: false)
            == .scheduleFlush)
    }

    @Test func writabilityFallsAtTheHighWaterMarkAndReturnsAtTheLowWaterMark() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        _ = state.enqueue(bytes(99), bodyBytes: 99, isEnd: false, isBounded: true, flushFollows: false)
        #expect(state.isWritable)
        _ = state.enqueue(bytes(1), bodyBytes: 1, isEnd: false, isBounded: true, flushFollows: false)
        #expect(!state.isWritable)
        let called = Atomic<Int>(0)
        #expect(state.addWritableWaiter { called.add(1, ordering: .relaxed) })
        _ = state.takeOutbox()
        #expect(state.connectionQueueChanged(to: 50).isEmpty)
        #expect(!state.isWritable)
        let waiters = state.connectionQueueChanged(to: 20)
        #expect(waiters.count == 1)
        waiters.forEach { $0() }
        #expect(called.load(ordering: .relaxed) == 1)
        #expect(state.isWritable)
        #expect(!state.addWritableWaiter {})  // writable: the caller runs it now
    }

    @Test func aStreamPastTheBufferLimitOverflowsInsteadOfBuffering() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        _ = state.enqueue(bytes(250), bodyBytes: 250, isEnd: false, isBounded: true, flushFollows: false)
        #expect(state.enqueue(bytes(51), bodyBytes: 51, isEnd: false, isBounded: true, flushFollows: false)
            == .overflow)
        #expect(state.unsentBytes == 250)
    }

    @Test func closingReturnsCloseCallbacksAndWaitersOnceAndDropsLaterWrites() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        #expect(state.addCloseCallback {})
        _ = state.enqueue(bytes(200), bodyBytes: 200, isEnd: false, isBounded: true, flushFollows: false)
        #expect(state.addWritableWaiter {})
        let closed = state.connectionClosed()
        #expect(closed.callbacks.count == 2)
        #expect(!closed.summary.isComplete)
        #expect(state.connectionClosed().callbacks.isEmpty)
        #expect(state.enqueue(bytes(1), bodyBytes: 1, isEnd: false, isBounded: true, flushFollows: false) == .dropped)
        #expect(!state.addCloseCallback {})  // already closed: the caller runs it now
    }

    @Test func aFinishedResponseForgetsItsCloseCallbacks() throws {
        var state = makeState()
        try state.beginHead(status: .ok, keepAlive: true)
        #expect(state.addCloseCallback {})
        _ = state.enqueue(bytes(1), bodyBytes: 1, isEnd: true, isBounded: false, flushFollows: false)
        let taken = state.takeOutbox()
        #expect(taken.isEnd)
        #expect(state.connectionClosed().callbacks.isEmpty)
    }
}
