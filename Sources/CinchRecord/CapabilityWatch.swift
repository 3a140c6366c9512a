// SPDX-License-Identifier: Apache-2.0
// Observes the capability checks of traced tasks through the kernel's capability:cap_capable tracepoint.

internal import CinchLinux
internal import CinchModel
internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Watches which capabilities a set of tasks (and every task they fork) actually used.
///
/// The kernel's `capability:cap_capable` tracepoint (Linux 6.14 and later) fires for every
/// capability check with its result. A tracefs instance of cinch's own is set up so that:
/// - only the tasks cinch adds (``add(_:)``) and their descendants are traced (`set_event_pid`
///   with the `event-fork` option: the kernel itself follows forks and drops exited pids);
/// - only granted checks are kept (`ret == 0`), each with its kernel stack trace.
///
/// The stack tells an audited check, one the task relied on (`capable`, `ns_capable`,
/// `file_ns_capable`, …), from the kernel's own probes that pass `CAP_OPT_NOAUDIT` and do not
/// fail anything when the capability is missing: memory accounting on every `mmap` and `brk`
/// (`security_vm_enough_memory_mm`, a `CAP_SYS_ADMIN` check) and the `*_noaudit` helpers. Those
/// are not counted; a check whose stack is missing or unknown is counted, so a doubt widens the
/// list rather than breaking the workload (and `cinch verify --caps` proves it).
///
/// A thread reads `trace_pipe` while the workload runs, so the ring buffer does not fill; the
/// buffer's overrun and dropped-event counters are checked at the end, and a loss is reported.
///
/// Text from the trace output is hostile only in one place, a task's `comm`; it is written
/// before the kernel's own fields, so the pid, capability and result are read from the end of
/// the line, and a forged line can at most attach frames to an earlier event's stack, which
/// only makes a check count.
final class CapabilityWatch: @unchecked Sendable {
    /// Why a watch could not start.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// What was seen.
    struct Outcome {
        /// Capability numbers the tasks used.
        var capabilities: Set<Int>
        /// Per capability used: the syscalls behind its granted checks.
        var evidence: [Int: Trace.CapabilityEvidence] = [:]
        /// Checks lost by the ring buffer, or nil when none were.
        var lost: Int?
        /// Whether any task was watched at all.
        var watchedAny: Bool
    }

    static let tracefs = "/sys/kernel/tracing"
    static let event = "events/capability/cap_capable"

    let directory: String
    private var eventPidFD: CInt = -1
    /// Written to by ``finish()`` to wake the reader at once.
    private var wake: (read: CInt, write: CInt) = (-1, -1)
    private var enabled = false
    private var reader: BackgroundThread?
    private let stopping = Atomic<Bool>(false)
    // Written by the reader thread only, read after it is joined.
    private var parser = CapabilityTraceParser()

    private init(directory: String) { self.directory = directory }

    /// Sets up an instance; nothing is traced until the first ``add(_:)``.
    static func start() -> Result<CapabilityWatch, Unavailable> {
        var status = stat()
        if stat(tracefs + "/instances", &status) != 0 {
            // Not mounted yet (the kernel mounts it on demand on most systems; not on all).
            _ = mount("nodev", tracefs, "tracefs", 0, nil)
        }
        guard stat(tracefs + "/" + event + "/enable", &status) == 0 else {
            return .failure(
                Unavailable(
                    description:
                        "the kernel has no capability:cap_capable tracepoint (Linux 6.14+) in \(tracefs), or tracefs is not mounted"
                ))
        }
        removeStaleInstances()
        let directory = "\(tracefs)/instances/cinch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(directory, 0o700) == 0 else {
            return .failure(Unavailable(description: "cannot create \(directory): \(FileIO.reason(errno))"))
        }
        let watch = CapabilityWatch(directory: directory)
        do throws(Unavailable) {
            try watch.write("1", to: "options/event-fork")
            try watch.write("4096", to: "buffer_size_kb")
            try? watch.write("0", to: "buffer_percent")  // wake the reader for any data (newer kernels)
            try watch.write("ret == 0", to: "\(event)/filter")
            try watch.write("stacktrace if ret == 0", to: "\(event)/trigger")
        } catch {
            watch.remove()
            return .failure(error)
        }
        var fds: [CInt] = [-1, -1]
        // Made before cinch starts the workload, on the same thread: no fork can inherit it
        // between pipe and FD_CLOEXEC.
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            watch.wake = (fds[0], fds[1])
        }
        watch.eventPidFD = open(directory + "/set_event_pid", O_WRONLY | O_APPEND | O_CLOEXEC)
        guard watch.eventPidFD >= 0, watch.wake.read >= 0 else {
            let reason = FileIO.reason(errno)
            watch.remove()
            return .failure(Unavailable(description: "cannot open set_event_pid: \(reason)"))
        }
        return .success(watch)
    }

    /// Watches `pid` and, from now on, every task it forks. The first call turns the event on:
    /// with an empty pid list the kernel would trace every task.
    func add(_ pid: CInt) {
        let text = Array("\(pid)\n".utf8)
        guard text.withUnsafeBytes({ Glibc.write(eventPidFD, $0.baseAddress, $0.count) }) == text.count else { return }
        guard !enabled else { return }
        enabled = true
        let work = self
        reader = BackgroundThread { work.readPipe() }
        try? write("1", to: "\(Self.event)/enable")
    }

    /// Stops watching, reads what is left and removes the instance.
    func finish() -> Outcome {
        if enabled { try? write("0", to: "\(Self.event)/enable") }
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = Glibc.write(wake.write, &byte, 1)
        reader?.join()
        reader = nil
        parser.finish()
        let lost = enabled ? lostEvents() : 0
        remove()
        return Outcome(
            capabilities: parser.capabilities, evidence: parser.evidence, lost: lost > 0 ? lost : nil,
            watchedAny: enabled)
    }

    deinit { remove() }

    // MARK: - Reading

    /// Reads `trace_pipe` until ``finish()`` asks to stop, then drains it.
    private func readPipe() {
        let fd = open(directory + "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                parser.feed(buffer[0..<count])
                continue
            }
            if count < 0, errno == EINTR { continue }
            // Empty (EAGAIN): done once asked to stop and drained; else wait for data.
            if stopping.load(ordering: .acquiring) { return }
            var descriptors = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&descriptors, 2, 100)
        }
    }

    /// The events the ring buffer overwrote or dropped, summed over CPUs.
    private func lostEvents() -> Int {
        var total = 0
        guard let entries = try? FileIO.directoryEntries(directory + "/per_cpu") else { return 0 }
        for cpu in entries where cpu.hasPrefix("cpu") {
            guard let bytes = try? FileIO.read(directory + "/per_cpu/" + cpu + "/stats") else { continue }
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0] == "overrun" || parts[0] == "dropped events" else { continue }
                total += Int(parts[1].trimmingPrefix(" ")) ?? 0
            }
        }
        return total
    }

    // MARK: - The instance

    private func write(_ value: String, to file: String) throws(Unavailable) {
        let path = directory + "/" + file
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw Unavailable(description: "cannot open \(path): \(FileIO.reason(errno))") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Unavailable(description: "cannot write '\(value)' to \(path): \(FileIO.reason(errno))")
        }
    }

    private func remove() {
        for fd in [eventPidFD, wake.read, wake.write] where fd >= 0 { close(fd) }
        eventPidFD = -1
        wake = (-1, -1)
        // The trigger holds a reference on the event; the kernel refuses rmdir until it is gone.
        try? write("!stacktrace if ret == 0", to: "\(Self.event)/trigger")
        rmdir(directory)
    }

    /// Removes the instances of cinch processes that no longer exist (killed before cleaning up).
    private static func removeStaleInstances() {
        guard let entries = try? FileIO.directoryEntries(tracefs + "/instances") else { return }
        for name in entries where name.hasPrefix("cinch-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = pid_t(parts[1]), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                let stale = CapabilityWatch(directory: tracefs + "/instances/" + name)
                try? stale.write("0", to: "\(event)/enable")
                stale.remove()
            }
        }
    }
}

/// Turns `trace_pipe` text of `cap_capable` events and their stack traces into the capabilities
/// the tasks relied on. Fed in chunks; lines cut by a chunk boundary are carried over.
struct CapabilityTraceParser {
    /// Capability numbers that count.
    private(set) var capabilities: Set<Int> = []
    /// Per capability that counts: the syscalls (from the stacks) behind it.
    private(set) var evidence: [Int: Trace.CapabilityEvidence] = [:]
    /// The capability of each task's last event, waiting for its stack.
    private var pending: [Int: Int] = [:]
    /// The task whose stack is being read, and its frames so far.
    private var stackOwner: Int?
    private var frames: [Substring] = []
    private var carry: [UInt8] = []

    /// Callers that probe without needing the capability (`CAP_OPT_NOAUDIT`).
    static let probes: Set<Substring> = [
        "security_vm_enough_memory_mm", "ns_capable_noaudit", "has_ns_capability_noaudit",
        "has_capability_noaudit",
    ]

    mutating func feed(_ chunk: ArraySlice<UInt8>) {
        carry.append(contentsOf: chunk)
        guard let last = carry.lastIndex(of: UInt8(ascii: "\n")) else { return }
        let text = String(decoding: carry[...last], as: UTF8.self)
        carry.removeSubrange(...last)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) { take(line) }
    }

    mutating func take(_ line: Substring) {
        if line.hasPrefix(" => ") {
            if stackOwner != nil { frames.append(line.dropFirst(4)) }
            return
        }
        settleStack()
        guard let (pid, rest) = Self.header(line) else { return }
        if rest == "<stack trace>" {
            if pending[pid] != nil { stackOwner = pid }
            return
        }
        guard let cap = Self.grantedCapability(rest) else { return }
        if let earlier = pending[pid] { count(earlier, frames: []) }  // its stack never came
        pending[pid] = cap
    }

    /// Ends the input: events without a stack count.
    mutating func finish() {
        if !carry.isEmpty {
            take(Substring(String(decoding: carry, as: UTF8.self)))
            carry = []
        }
        settleStack()
        for event in pending.values { count(event, frames: []) }
        pending = [:]
    }

    private mutating func settleStack() {
        guard let owner = stackOwner else { return }
        stackOwner = nil
        defer { frames = [] }
        guard let event = pending.removeValue(forKey: owner) else { return }
        if !Self.isProbe(frames) { count(event, frames: frames) }
    }

    /// Counts a granted check, with the syscall its stack shows as evidence.
    private mutating func count(_ cap: Int, frames: [Substring]) {
        capabilities.insert(cap)
        var found = evidence[cap] ?? Trace.CapabilityEvidence()
        if let syscall = Self.syscall(frames) { found.syscalls.insert(syscall) }
        evidence[cap] = found
    }

    /// The syscall a kernel stack runs in, from its entry point (`__x64_sys_fchownat+0x1f/0x30`
    /// → `fchownat`), or nil.
    static func syscall(_ frames: [Substring]) -> String? {
        let prefixes = [
            "__x64_sys_", "__ia32_sys_", "__ia32_compat_sys_", "__x32_compat_sys_", "__do_sys_", "__se_sys_", "__sys_",
        ]
        for frame in frames.reversed() {
            let name = frame.split(separator: "+", maxSplits: 1).first ?? frame
            guard let prefix = prefixes.first(where: { name.hasPrefix($0) }) else { continue }
            let syscall = String(name.dropFirst(prefix.count).split(separator: ".").first ?? "")
            if Trace.CapabilityEvidence.isSyscallName(syscall) { return syscall }
        }
        return nil
    }

    /// Whether the frames after `cap_capable` show a check that needs nothing.
    static func isProbe(_ frames: [Substring]) -> Bool {
        let names = frames.map { frame in
            // `do_execveat_common.isra.0` → `do_execveat_common`; `+0x83/0x100` offsets, if printed.
            frame.split(separator: "+", maxSplits: 1).first.map { $0.split(separator: ".").first ?? $0 } ?? frame
        }
        guard let index = names.firstIndex(of: "cap_capable"), index + 1 < names.count else { return false }
        let caller = names[index + 1]
        if probes.contains(caller) { return true }
        if caller == "security_capable", index + 2 < names.count { return probes.contains(names[index + 2]) }
        return false
    }

    /// The pid and the event text of a trace line, `COMM-PID [CPU] FLAGS TIMESTAMP: EVENT`, where
    /// EVENT is `<stack trace>` or `cap_capable: …`.
    ///
    /// COMM is the task's name and can hold any bytes, so the line is read from its end: the event
    /// text is the kernel's and ends the line, and neither it nor the fields between COMM and it
    /// contain `[`, so the pid is the number before the last `[`.
    static func header(_ line: Substring) -> (pid: Int, rest: Substring)? {
        let head: Substring
        let rest: Substring
        if line.hasSuffix(": <stack trace>") {
            head = line.dropLast(15)
            rest = "<stack trace>"
        } else if let marker = line.ranges(of: ": cap_capable: ").last {
            head = line[..<marker.lowerBound]
            rest = line[line.index(marker.lowerBound, offsetBy: 2)...]
        } else {
            return nil
        }
        guard let bracket = head.lastIndex(of: "[") else { return nil }
        let before = head[..<bracket].reversed().drop(while: { $0 == " " })
        let digits = before.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, before.dropFirst(digits.count).first == "-",
            let pid = Int(String(digits.reversed()))
        else { return nil }
        return (pid, rest)
    }

    /// `cap_capable: cred …, target_ns …, capable_ns …, cap 21, ret 0` → 21 when granted and known.
    static func grantedCapability(_ rest: Substring) -> Int? {
        let fields = rest.split(separator: ", ", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].hasPrefix("cap_capable: cred "), fields[1].hasPrefix("target_ns "),
            fields[2].hasPrefix("capable_ns "), fields[3].hasPrefix("cap "), fields[4] == "ret 0",
            let cap = Int(fields[3].dropFirst(4)), cap >= 0, cap < CapabilityList.all.count
        else { return nil }
        return cap
    }
}
