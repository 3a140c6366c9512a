// SPDX-License-Identifier: Apache-2.0
// Starting a child that optionally becomes a tracee and installs a seccomp filter before execve.

internal import CCinchLinux
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Why starting a child failed.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Stage: Int, Sendable {
        /// Finding the executable on `PATH`.
        case lookup = 0
        /// `PR_SET_NO_NEW_PRIVS` in the child.
        case noNewPrivileges = 2
        /// Installing the seccomp filter in the child.
        case seccomp = 3
        /// `execve` in the child.
        case exec = 4
        /// `fork` in the parent.
        case fork = 5
        /// `landlock_restrict_self` in the child.
        case landlock = 6
        /// Removing capabilities in the child (bounding, inheritable, ambient sets).
        case capabilities = 7
    }

    /// The step that failed.
    public var stage: Stage
    /// The errno it failed with.
    public var errno: Errno
    /// The command.
    public var command: String
    /// The child's pid (already reaped), when the failure happened in the child.
    public var pid: CInt? = nil

    /// A sentence naming the command, the step and the errno.
    public var description: String {
        switch stage {
        case .lookup: "\(command): command not found"
        case .noNewPrivileges: "Could not set no_new_privs for \(command): \(errno)."
        case .seccomp: "Could not install the seccomp filter for \(command): \(errno)."
        case .exec: "Could not execute \(command): \(errno)."
        case .fork: "Could not fork to run \(command): \(errno)."
        case .landlock: "Could not restrict \(command) with Landlock: \(errno)."
        case .capabilities: "Could not remove capabilities for \(command): \(errno)."
        }
    }
}

/// A child started by ``Spawn``.
public struct SpawnedChild: Sendable {
    /// Its pid.
    public var pid: CInt
    /// With tracing: the read end of the exec-error pipe, to check with ``Spawn/execFailure(of:)``.
    public var errorDescriptor: CInt
}

/// Starts children with the fork → (SIGSTOP for the tracer) → no_new_privs → seccomp → execve sequence.
public enum Spawn {
    /// Finds `command` on `PATH` the way a shell does, or nil when nothing of that name exists.
    ///
    /// A name with a slash is used as is when it exists. On `PATH` the first executable regular
    /// file wins; when there is none but a file of that name exists, that file is returned, so
    /// `execve` reports why it cannot run (EACCES: the shell's 126, not "not found").
    public static func resolveExecutable(_ command: String, path: String? = nil) -> String? {
        if command.contains("/") { return access(command, F_OK) == 0 ? command : nil }
        let search = path ?? (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")
        var unusable: String?
        for directory in search.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            var info = stat()
            guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { continue }
            if access(candidate, X_OK) == 0, (info.st_mode & S_IFMT) == S_IFREG { return candidate }
            unusable = unusable ?? candidate
        }
        return unusable
    }

    /// Whether this process has `CAP_SYS_ADMIN`, which lets it install a filter without no_new_privs.
    public static var hasSysAdmin: Bool { cinch_has_cap_sys_admin() != 0 }

    /// Starts `arguments[0]` with the current environment.
    ///
    /// - Parameters:
    ///   - arguments: the command line; `arguments[0]` is looked up on `PATH`.
    ///   - filter: a classic-BPF program (8 bytes per instruction) installed right before execve.
    ///   - traced: the child stops itself with SIGSTOP first, for the caller's thread to attach
    ///     with ``Ptrace/seize(_:options:)`` once ``waitUntilStopped(_:)`` returns; that thread is
    ///     then its tracer and must do every ptrace request for it.
    ///   - noNewPrivileges: set `PR_SET_NO_NEW_PRIVS` before the filter (needed without CAP_SYS_ADMIN).
    ///   - landlock: a ruleset the child restricts itself with (`landlock_restrict_self`) after
    ///     no_new_privs and before the filter; denials are audit-logged where the ABI allows.
    ///   - keepingCapabilities: when set, the numbers of the only capabilities the child keeps in
    ///     its bounding, inheritable and ambient sets, so a uid 0 command runs with just those.
    /// - Throws: ``SpawnError``. Without tracing, exec failures are thrown here; with tracing they
    ///   can only be known once the tracer lets the child run (``execFailure(of:)``).
    public static func spawn(
        _ arguments: [String], filter: [UInt8]?, traced: Bool, noNewPrivileges: Bool,
        landlock: PreparedLandlockRuleset? = nil, keepingCapabilities: Set<Int>? = nil
    ) throws(SpawnError) -> SpawnedChild {
        guard let first = arguments.first, let path = resolveExecutable(first) else {
            throw SpawnError(stage: .lookup, errno: .noSuchFileOrDirectory, command: arguments.first ?? "")
        }
        var flags: CInt = 0
        if traced { flags |= CInt(CINCH_SPAWN_TRACE) }
        if noNewPrivileges { flags |= CInt(CINCH_SPAWN_NO_NEW_PRIVS) }
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArgs.append(nil)
        defer { for pointer in cArgs { free(pointer) } }
        var errorFD: CInt = -1
        var stage: CInt = 0
        var childErrno: CInt = 0
        let program = filter ?? []
        let landlockDescriptor = landlock?.descriptor ?? -1
        let landlockLog: CInt = (landlock.map { Landlock.logsDenials(abi: $0.abi) } ?? false) ? 1 : 0
        let pid = program.withUnsafeBytes { bpf in
            cArgs.withUnsafeBufferPointer { argv in
                // argv is a buffer of optional pointers; the shim reads it as `char *const *`.
                let environment = cinch_environ().map { UnsafePointer($0) } ?? argv.baseAddress.unsafelyUnwrapped
                let filter = program.isEmpty ? nil : bpf.baseAddress
                guard let keep = keepingCapabilities else {
                    return cinch_spawn(
                        path, argv.baseAddress.unsafelyUnwrapped, environment, filter, program.count,
                        landlockDescriptor, landlockLog, flags, &errorFD, &stage, &childErrno)
                }
                let mask = keep.filter { (0..<64).contains($0) }.reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }
                return cinch_spawn_keeping_capabilities(
                    path, argv.baseAddress.unsafelyUnwrapped, environment, filter, program.count, flags, mask,
                    &errorFD, &stage, &childErrno)
            }
        }
        if pid < 0 { throw SpawnError(stage: .fork, errno: Errno(rawValue: errno), command: first) }
        if stage != 0 {
            var status: CInt = 0
            _ = waitpid(pid, &status, 0)
            throw SpawnError(
                stage: SpawnError.Stage(rawValue: Int(stage)) ?? .exec, errno: Errno(rawValue: childErrno),
                command: first, pid: pid)
        }
        return SpawnedChild(pid: pid, errorDescriptor: errorFD)
    }

    /// After a traced child ran: the error its exec reported, if any. Closes the descriptor.
    public static func execFailure(of child: SpawnedChild, command: String) -> SpawnError? {
        guard child.errorDescriptor >= 0 else { return nil }
        var stage: CInt = 0
        var err: CInt = 0
        guard cinch_spawn_read_error(child.errorDescriptor, &stage, &err) == 1 else { return nil }
        return SpawnError(
            stage: SpawnError.Stage(rawValue: Int(stage)) ?? .exec, errno: Errno(rawValue: err), command: command)
    }

    /// Waits for any child or tracee of the calling thread (`waitpid(-1, __WALL | __WNOTHREAD)`).
    ///
    /// `__WNOTHREAD` keeps the tracer thread from reaping children that other threads of the
    /// same process started (a test runner, a host application), whose owners wait for them.
    ///
    /// - Returns: the pid and status, or nil when interrupted by a signal (EINTR), so the caller
    ///   can look at ``Signals/caught``.
    /// - Throws: `Errno.noChildProcess` when no children are left.
    public static func waitAny() throws(Errno) -> (pid: CInt, status: WaitStatus)? {
        var status: CInt = 0
        let pid = system_waitpid(-1, &status, CInt(bitPattern: 0x4000_0000 | 0x2000_0000))  // __WALL | __WNOTHREAD
        if pid < 0 {
            if errno == EINTR { return nil }
            throw Errno(rawValue: errno)
        }
        return (pid, WaitStatus(rawValue: status))
    }

    /// Waits for one child, retrying on EINTR.
    public static func wait(for pid: CInt) throws(Errno) -> WaitStatus { try wait(for: pid, options: 0) }

    /// Waits until a child stops or ends (`waitpid(pid, WUNTRACED)`), retrying on EINTR.
    public static func waitUntilStopped(_ pid: CInt) throws(Errno) -> WaitStatus {
        try wait(for: pid, options: WUNTRACED)
    }

    private static func wait(for pid: CInt, options: CInt) throws(Errno) -> WaitStatus {
        var status: CInt = 0
        while true {
            let rc = system_waitpid(pid, &status, options)
            if rc >= 0 { return WaitStatus(rawValue: status) }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }

    /// The executable of a process (`readlink /proc/PID/exe`), or nil.
    public static func executable(of pid: CInt) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// SIGINT, SIGTERM and SIGHUP sent to cinch: caught, and forwarded to the workload.
///
/// One C handler (see ``SignalWatcher``) catches the three signals for the life of the process.
/// It forwards them through a pidfd, never a pid, so a signal for a workload that has already
/// ended cannot reach a process that was given its pid.
public enum Signals {
    /// Catches SIGINT, SIGTERM and SIGHUP from now on and forwards them to `pid`, each followed by
    /// SIGCONT so that a stopped process acts on it (SIGKILL from the second signal on).
    ///
    /// `pid` must be the calling thread's child and not yet reaped (just spawned), so that the
    /// pidfd opened here refers to it; if it cannot be opened, signals are caught and not forwarded.
    public static func forward(to pid: CInt) {
        _ = cinch_install_signal_handlers()
        let descriptor = system_pidfd_open(pid)
        guard descriptor >= 0 else { return }
        let previous = cinch_exchange_forward_pidfd(descriptor)
        if previous >= 0 { close(previous) }
    }

    /// Stops forwarding (the signals are still caught) and closes the pidfd.
    public static func stopForwarding() {
        let previous = cinch_exchange_forward_pidfd(-1)
        if previous >= 0 { close(previous) }
    }

    /// The first signal caught, or nil.
    public static var caught: CInt? {
        let signal = cinch_caught_signal()
        return signal == 0 ? nil : signal
    }

    /// How many signals were caught so far (the second and later ones mean SIGKILL).
    public static var caughtCount: Int { Int(cinch_caught_count()) }

    /// A signal's conventional name (`SIGINT`).
    public static func name(_ signal: CInt) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        default: "signal \(signal)"
        }
    }
}

/// Process-wide settings for supervising containers.
public enum Supervision {
    /// Makes this process a child subreaper, so a container's init is reparented to it when the
    /// runtime's `create` exits; cinch can then wait for it and read its exit status.
    /// The corresponding C function is `prctl(PR_SET_CHILD_SUBREAPER)`.
    @discardableResult
    public static func becomeChildSubreaper() -> Bool { cinch_set_child_subreaper() == 0 }

    /// Reaps the exited children of this process that lived in another pid namespace (a
    /// container's), are traced by nobody and are not `keeping`; returns their pids.
    ///
    /// A subreaper inherits what a runtime's `exec` leaves behind when it fails half-way: a
    /// process that joined the container's pid namespace and exited. Until it is reaped, the
    /// container's init cannot finish exiting (the kernel waits for every process of its pid
    /// namespace), so a run that waits for the init would wait forever. cinch's own children
    /// (the runtime's commands, a driver) are in cinch's pid namespace and never taken here.
    /// - Parameter keeping: the container's init, which its waiter reaps for its status.
    /// The corresponding C function is `waitpid(2)` with `WNOHANG`, for each such pid.
    @discardableResult
    public static func reapStrayContainerChildren(keeping: CInt) -> [CInt] {
        let me = getpid()
        var reaped: [CInt] = []
        for entry in (try? FileIO.directoryEntries("/proc")) ?? [] {
            guard let pid = CInt(entry), pid != keeping,
                let bytes = try? FileIO.read("/proc/\(entry)/status", limit: 8192)
            else { continue }
            var fields: [Substring: Substring] = [:]
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon]] = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            }
            guard fields["PPid"] == "\(me)"[...], fields["State"]?.first == "Z", fields["TracerPid"] == "0",
                let namespaces = fields["NSpid"],
                namespaces.split(whereSeparator: { $0 == " " || $0 == "\t" }).count > 1
            else { continue }
            var status: CInt = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped.append(pid) }
        }
        return reaped
    }
}

/// CPU affinity for the tracer thread.
public enum Affinity {
    /// Pins the calling thread to `cpu`; returns false on failure.
    @discardableResult
    public static func pinCurrentThread(to cpu: CInt) -> Bool { cinch_pin_current_thread(cpu) == 0 }
    /// The CPU the calling thread is on, or nil.
    public static var currentCPU: CInt? {
        let cpu = cinch_current_cpu()
        return cpu < 0 ? nil : cpu
    }
}
