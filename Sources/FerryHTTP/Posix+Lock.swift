// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a `pthread_mutex_t`, both in one allocation (NIO's `NIOLockedValueBox` shape).
///
/// Note: not `Synchronization.Mutex`, because on Linux ThreadSanitizer cannot see that one's futex-based locking
/// and reports every access it guards as a race; pthread mutexes are intercepted, so `-sanitize=thread` stays
/// meaningful for FerryHTTP and the modules above it.
struct Locked<Value>: @unchecked Sendable {  // every access to the value holds the mutex
    private let storage: LockStorage<Value>

    /// Creates the lock holding `value`. Any thread.
    static func make(_ value: Value) -> Locked<Value> {
        Locked(storage: LockStorage.make(value))
    }

    private init(storage: LockStorage<Value>) {
        self.storage = storage
    }

    /// Runs `body` with exclusive access to the value. Any thread; not reentrant.
    @inline(__always)
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        try storage.withUnsafeMutablePointers { (value, mutex) throws(Failure) -> Result in
            _ = pthread_mutex_lock(mutex)
            defer { _ = pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }
}

/// The value (header) and its mutex (the one element) of a `Locked`.
private final class LockStorage<Value>: ManagedBuffer<Value, pthread_mutex_t> {
    static func make(_ value: Value) -> LockStorage<Value> {
        let storage = LockStorage<Value>.create(minimumCapacity: 1) { _ in value }
        storage.withUnsafeMutablePointerToElements { mutex in
            mutex.initialize(to: pthread_mutex_t())
            _ = pthread_mutex_init(mutex, nil)
        }
        return unsafeDowncast(storage, to: LockStorage<Value>.self)
    }

    deinit {
        withUnsafeMutablePointerToElements { mutex in
            _ = pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
        }
    }
}
