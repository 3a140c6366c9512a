// SPDX-License-Identifier: Apache-2.0
// Threads of cinch's own: the tracer thread (every ptrace request must come from one thread) and
// background threads (the container controller, pipe feeders, trace readers), and waking them.

internal import CCinchLinux

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// A job handed to the tracer thread. Its state is written by that thread before it exits and
/// read after `pthread_join`, which orders the accesses.
private final class ThreadJob: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// A result slot filled by the tracer thread; read only after `pthread_join`.
private final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}

/// Runs the tracer on a dedicated pthread and waits for it.
///
/// ptrace binds a tracee to the thread that attached it, and Swift tasks hop between threads, so
/// the spawn, the wait loop and every request run inside one `run` call on one pthread.
public enum TracerThread {
    /// Runs `job` on a new thread and returns its result; blocks the caller until it finishes.
    public static func run<T>(_ job: @escaping () -> T) -> T {
        let slot = ResultSlot<T>()
        let box = UncheckedJob(job)
        BackgroundThread { slot.value = box.job() }.join()
        guard let value = slot.value else { preconditionFailure("tracer thread finished without a result") }
        return value
    }
}

/// Carries a non-Sendable job to the tracer thread; it runs there once, and the caller waits.
private final class UncheckedJob<T>: @unchecked Sendable {
    let job: () -> T
    init(_ job: @escaping () -> T) { self.job = job }
}

/// A thread running alongside the caller (the container controller, a pipe feeder), joined when done.
///
/// The corresponding C functions are `pthread_create` and `pthread_join`.
public final class BackgroundThread: @unchecked Sendable {
    // `thread` is written once before anyone joins; join happens on the creating thread.
    private var thread = pthread_t()
    private var started = false

    /// Starts `job` on a new thread; runs it inline when no thread can be created.
    public convenience init(_ job: @escaping @Sendable () -> Void) {
        self.init()
        if !launch(job) { job() }
    }

    private init() {}

    /// Starts `job` on a new thread, or returns nil when no thread can be created (the caller
    /// then does the work another way).
    public static func start(_ job: @escaping @Sendable () -> Void) -> BackgroundThread? {
        let thread = BackgroundThread()
        return thread.launch(job) ? thread : nil
    }

    private func launch(_ job: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(ThreadJob(job)).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadJob>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<ThreadJob>.fromOpaque(context).release()
            return false
        }
        started = true
        return true
    }

    /// Waits for the job to finish.
    public func join() {
        if started { pthread_join(thread, nil) }
        started = false
    }
}

/// Interrupts a blocking call of one of cinch's threads (the tracer's `waitpid`) from another one.
///
/// It sends that thread a real-time signal whose handler does nothing and is installed without
/// `SA_RESTART`, so the call fails with `EINTR` and the thread can look at what changed. A wake
/// that arrives just before the thread blocks is lost: wake again until the thread says it saw it.
public struct ThreadWaker: Sendable {
    /// The thread's id.
    public let thread: CInt

    /// A waker for the calling thread, or nil when the wake signal cannot be installed.
    ///
    /// The corresponding C functions are `sigaction`, `pthread_sigmask` and `gettid`.
    public static func forCurrentThread() -> ThreadWaker? {
        guard cinch_install_wake_handler() >= 0 else { return nil }
        return ThreadWaker(thread: cinch_gettid())
    }

    /// Interrupts the thread's current blocking call, if it is in one.
    ///
    /// The corresponding C function is `tgkill`.
    public func wake() { _ = cinch_wake_thread(thread) }
}
