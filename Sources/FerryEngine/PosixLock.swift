// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` with a condition variable: what Foundation's `NSLock` and `NSCondition` gave (the product
/// builds on FoundationEssentials, which has neither). pthread primitives rather than `Synchronization.Mutex`, so
/// ThreadSanitizer keeps seeing the locking (see FerryHTTP's `Locked`).
///
/// `@unchecked Sendable`: the mutex and condition are heap-allocated once and only used through pthread calls.
public final class PosixLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        _ = pthread_mutex_init(mutex, nil)
        _ = pthread_cond_init(condition, nil)
    }

    deinit {
        _ = pthread_cond_destroy(condition)
        _ = pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Takes the lock; not reentrant.
    public func lock() { _ = pthread_mutex_lock(mutex) }

    public func unlock() { _ = pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Wakes one thread waiting in `wait`. Call holding the lock.
    public func signal() { _ = pthread_cond_signal(condition) }

    /// Releases the lock until `signal` (or a spurious wake-up), then takes it again. Call holding the lock.
    public func wait() { _ = pthread_cond_wait(condition, mutex) }

    /// `wait`, giving up after `seconds`; false when the time ran out. Call holding the lock.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int(now.tv_nsec) + Int(seconds * 1e9)
        var deadline = timespec(tv_sec: now.tv_sec + nanoseconds / 1_000_000_000,
                                tv_nsec: nanoseconds % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex, &deadline) == 0
    }
}
