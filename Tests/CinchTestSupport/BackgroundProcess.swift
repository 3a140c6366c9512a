// SPDX-License-Identifier: Apache-2.0
// A program started in the background, for tests that signal it and watch what it leaves behind.

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A program running in the background whose standard error goes to a file.
///
/// Started with `posix_spawn` and reaped with `waitpid`, not with Foundation's `Process`: the
/// tests signal and kill it, and `Process.waitUntilExit` was seen to wait forever for a child
/// killed that way (the child a zombie, its exit never noticed).
public final class BackgroundProcess {
    /// Its pid.
    public let pid: Int32
    private let errorPath: String
    private var status: Int32?

    /// Starts `arguments` (the first an absolute path) with standard input and output on
    /// `/dev/null`, standard error written to `errorPath`, default signal handling and no
    /// blocked signals.
    public init(_ arguments: [String], errorPath: String) throws {
        self.errorPath = errorPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, &attributes, &argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
    }

    /// Sends `signal` while it has not been reaped (so the pid is still its own).
    public func send(_ signal: Int32) {
        if !reap() { kill(pid, signal) }
    }

    /// Waits up to `seconds` for it to end and returns its status (128 + N for signal N), or
    /// nil when it was still running: it is then killed, so no test leaves it behind.
    public func waitForExit(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while !reap(), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if reap() { return status }
        kill(pid, SIGKILL)
        while !reap() { Thread.sleep(forTimeInterval: 0.05) }
        return nil
    }

    /// Whether it has ended, without waiting (and without killing it).
    public var hasExited: Bool { reap() }

    /// Whether it has ended (reaping it, and keeping its status, the first time).
    private func reap() -> Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        if rc == 0 { return false }
        if rc < 0 {
            status = -1  // Reaped by someone else: the status is lost.
            return true
        }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return true
    }

    deinit { _ = waitForExit(within: 0) }

    /// What it wrote to standard error so far.
    public var standardError: String {
        (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    }
}

/// The processes of the machine, read from `/proc`.
public enum ProcessTable {
    /// A process: pid, state letter (`R`, `S`, `T` stopped, `t` traced-stopped, `Z`…) and
    /// command line.
    public struct Entry: CustomStringConvertible, Equatable {
        /// The pid.
        public var pid: Int32
        /// The state letter from `/proc/PID/stat`.
        public var state: String
        /// The command line, arguments joined by spaces.
        public var commandLine: String
        /// `pid state commandLine`.
        public var description: String { "\(pid) \(state) \(commandLine)" }
    }

    /// Every process whose command line contains `marker`.
    public static func processes(containing marker: String) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> Entry? in
            guard let pid = Int32(name),
                let raw = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"), !raw.isEmpty
            else { return nil }
            let line = String(decoding: raw, as: UTF8.self).split(separator: "\0").joined(separator: " ")
            guard line.contains(marker) else { return nil }
            let stat = (try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8)) ?? ""
            // The state follows the parenthesised command name, which may itself hold spaces.
            let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
            return Entry(pid: pid, state: state, commandLine: line)
        }
    }
}
