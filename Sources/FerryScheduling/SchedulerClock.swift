// SPDX-License-Identifier: Apache-2.0

/// The time source of the scheduler, in seconds since an arbitrary epoch shared with `Request.arrivalTime`.
/// Injected so tests control time (Hummingbird's `StateMachine<Clock>` idea); read on the engine thread.
public protocol SchedulerClock {
    /// Seconds since the clock's epoch, never decreasing.
    func now() -> Double
}

/// A monotonic clock whose epoch is its creation: `ContinuousClock` (no Foundation).
public struct MonotonicSchedulerClock: SchedulerClock, Sendable {
    private let epoch = ContinuousClock.now

    public init() {}

    public func now() -> Double {
        let elapsed = ContinuousClock.now - epoch
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
