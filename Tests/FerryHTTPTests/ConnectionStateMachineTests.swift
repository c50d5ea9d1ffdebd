// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import FerryHTTP

/// A clock the test moves by hand.
struct MockClock {
    private(set) var now = ContinuousClock.now

    mutating func advance(by duration: Duration) {
        now = now + duration
    }
}

@Suite struct ConnectionStateMachineTests {
    let timeouts = HTTPTimeouts(header: .seconds(10), idle: .seconds(60), body: .seconds(30), write: .seconds(20),
                                linger: .seconds(2))

    @Test func aNewConnectionThatNeverSpeaksIsClosedAfterTheHeaderTimeout() {
        var clock = MockClock()
        let machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        clock.advance(by: .milliseconds(9_999))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        clock.advance(by: .milliseconds(1))
        #expect(machine.checkDeadlines(now: clock.now) == .close(.header))
    }

    @Test func aSlowlorisTricklingHeaderBytesIsClosedWith408AfterTheHeaderTimeout() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        for _ in 0..<9 {
            clock.advance(by: .seconds(1))
            machine.parserAdvanced(to: .head, now: clock.now)  // one more byte of head, each second
            #expect(machine.checkDeadlines(now: clock.now) == .none)
        }
        clock.advance(by: .seconds(1))
        machine.parserAdvanced(to: .head, now: clock.now)
        #expect(machine.checkDeadlines(now: clock.now) == .respondRequestTimeoutAndClose(.header))
    }

    @Test func theHeaderTimeoutOfAKeepAliveRequestStartsAtItsFirstByte() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.parserAdvanced(to: .head, now: clock.now)
        machine.requestReceived()
        #expect(machine.responseFinished(keepAlive: true, now: clock.now) == .readNextRequest)
        clock.advance(by: .seconds(50))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        machine.parserAdvanced(to: .head, now: clock.now)
        clock.advance(by: .seconds(9))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        clock.advance(by: .seconds(1))
        #expect(machine.checkDeadlines(now: clock.now) == .respondRequestTimeoutAndClose(.header))
    }

    @Test func anIdleKeepAliveConnectionIsClosedSilentlyAfterTheIdleTimeout() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.requestReceived()
        _ = machine.responseFinished(keepAlive: true, now: clock.now)
        clock.advance(by: .seconds(59))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        clock.advance(by: .seconds(1))
        #expect(machine.checkDeadlines(now: clock.now) == .close(.idle))
    }

    @Test func aBodyThatStopsArrivingTimesOutButProgressExtendsIt() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.parserAdvanced(to: .body, now: clock.now)
        clock.advance(by: .seconds(25))
        machine.parserAdvanced(to: .body, now: clock.now)
        clock.advance(by: .seconds(25))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        clock.advance(by: .seconds(5))
        #expect(machine.checkDeadlines(now: clock.now) == .respondRequestTimeoutAndClose(.body))
    }

    @Test func aRespondingConnectionHasNoReadDeadline() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.parserAdvanced(to: .head, now: clock.now)
        machine.requestReceived()
        clock.advance(by: .seconds(3600))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
    }

    @Test func writesBlockedLongerThanTheWriteTimeoutClose() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.requestReceived()
        machine.writeBlocked(now: clock.now)
        clock.advance(by: .seconds(15))
        machine.writeProgressed()
        machine.writeBlocked(now: clock.now)
        clock.advance(by: .seconds(15))
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        clock.advance(by: .seconds(5))
        #expect(machine.checkDeadlines(now: clock.now) == .close(.write))
    }

    @Test func aClosingResponseLingersThenCloses() {
        var clock = MockClock()
        var machine = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        machine.requestReceived()
        #expect(machine.responseFinished(keepAlive: false, now: clock.now) == .closeAfterWrite)
        #expect(machine.checkDeadlines(now: clock.now) == .none)
        let lingers = machine.allWritten(now: clock.now)
        #expect(lingers)
        #expect(machine.isLingering)
        clock.advance(by: .seconds(2))
        #expect(machine.checkDeadlines(now: clock.now) == .close(.linger))
    }

    @Test func drainClosesOnlyIdleKeepAliveConnections() {
        let clock = MockClock()
        var idle = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        #expect(!idle.drainRequested())  // new: it may send its request
        idle.requestReceived()
        _ = idle.responseFinished(keepAlive: true, now: clock.now)
        #expect(idle.drainRequested())
        var busy = ConnectionStateMachine(timeouts: timeouts, now: clock.now)
        busy.parserAdvanced(to: .head, now: clock.now)
        #expect(!busy.drainRequested())
        busy.requestReceived()
        #expect(!busy.drainRequested())
    }

    @Test func checkIntervalIsAQuarterOfTheShortestTimeoutWithinBounds() {
        #expect(HTTPTimeouts().checkInterval == .milliseconds(500))
        #expect(HTTPTimeouts(header: .milliseconds(200)).checkInterval == .milliseconds(50))
        #expect(HTTPTimeouts(header: .milliseconds(4)).checkInterval == .milliseconds(5))
        #expect(HTTPTimeouts(header: .seconds(100), idle: .seconds(100), body: .seconds(100), write: .seconds(100),
                             linger: .seconds(100)).checkInterval == .seconds(1))
    }
}
