// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Detached threads with a stack size: what Foundation's `Thread` gave (the product builds on FoundationEssentials,
/// which has none). Note: the kernel-visible thread name is not set: Glibc's Swift module does not export
/// `pthread_setname_np`; `name` only labels failures.
public enum PosixThread {
    /// Default stack: 8 MiB, room for the deep recursion of the chat-template renderer and the model's forward pass.
    public static let defaultStackSize = 8 << 20

    /// Starts `body` on a new detached thread; `name` says what it is for.
    /// - Precondition: the thread can be created (`pthread_create` fails only when the process is out of threads
    ///   or memory; there is nothing to fall back to).
    public static func start(name: String, stackSize: Int = defaultStackSize, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(body: body)).toOpaque()
        var attributes = pthread_attr_t()
        _ = pthread_attr_init(&attributes)
        defer { _ = pthread_attr_destroy(&attributes) }
        _ = pthread_attr_setstacksize(&attributes, stackSize)
        _ = pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            start.body()
            return nil
        }, start)
        precondition(result == 0, "pthread_create failed for \(name): error \(result)")
    }

    /// What the new thread runs, passed through `pthread_create`'s context pointer.
    private final class Start {
        let body: @Sendable () -> Void

        init(body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
