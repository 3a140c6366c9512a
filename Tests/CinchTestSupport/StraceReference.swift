// SPDX-License-Identifier: Apache-2.0
// The reference recording: `strace -f -n`, which stops on every syscall, parsed per ABI.

public import CinchModel
import CinchSeccomp
import Foundation

/// What `strace -f -n` saw, as (ABI, syscall number) pairs.
///
/// strace prints the number it saw next to the name (`[  20] getpid()`); the ABI is the one whose
/// table gives that name for that number (x32 numbers carry `__X32_SYSCALL_BIT`).
public enum StraceReference {
    /// One syscall as (ABI, number).
    public struct Call: Hashable, Sendable, CustomStringConvertible {
        /// The ABI.
        public var abi: Architecture
        /// The number as the kernel saw it.
        public var number: UInt64
        /// Creates a call.
        public init(abi: Architecture, number: UInt64) {
            self.abi = abi
            self.number = number
        }

        /// `abi:name`.
        public var description: String { "\(abi.name):\(SyscallResolver.name(of: number, on: abi) ?? "#\(number)")" }
    }

    /// Runs `arguments` under `strace -f -n` and returns every syscall it saw.
    public static func record(_ arguments: [String]) throws -> Set<Call> {
        let directory = try Command.temporaryDirectory("strace")
        defer { Command.removeDirectory(directory) }
        let output = directory + "/strace.txt"
        let result = try Command.run(["strace", "-f", "-n", "-qq", "-o", output] + arguments)
        guard result.status == 0 else {
            throw ReferenceError(message: "strace failed with \(result.status): \(result.stderr)")
        }
        return try parse(String(contentsOfFile: output, encoding: .utf8))
    }

    /// strace failed or its output has no filter installation.
    public struct ReferenceError: Error, CustomStringConvertible {
        /// What went wrong.
        public var message: String
        /// The message.
        public var description: String { message }
    }

    /// Runs a container runtime command under `strace -f -n --pidns-translation` and returns what
    /// the container side did after the runtime installed its seccomp filter: the installing task
    /// after the install, and every task it (transitively) created.
    ///
    /// Clone results inside the container are pids of its namespace; `--pidns-translation`
    /// adds the host pid, which is what strace's first column shows.
    public static func recordContainerSide(_ arguments: [String], directory: String) throws -> Set<Call> {
        let output = directory + "/strace-container.txt"
        let result = try Command.run(
            ["strace", "-f", "-n", "-qq", "--pidns-translation", "-o", output] + arguments, directory: directory)
        guard result.status == 0 else {
            throw ReferenceError(message: "strace of the runtime failed with \(result.status): \(result.stderr)")
        }
        return try parseContainerSide(String(contentsOfFile: output, encoding: .utf8))
    }

    /// The container side of `RUNTIME create` + `RUNTIME start` under strace, the lifecycle
    /// container engines (and cinch) use: strace follows `create` and keeps tracing the
    /// container's init after `create` exits, until the container ends.
    public static func recordContainerSide(runtime: String, bundle: String, id: String) throws -> Set<Call> {
        let output = bundle + "/strace-container.txt"
        let strace = Process()
        strace.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        strace.arguments = [
            "strace", "-f", "-n", "-qq", "--pidns-translation", "-o", output, runtime, "create", "--bundle", bundle, id,
        ]
        strace.standardOutput = FileHandle.nullDevice
        try strace.run()
        defer { _ = try? Command.run([runtime, "delete", "--force", id]) }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let state = try Command.run([runtime, "state", id])
            if state.status == 0, state.stdout.contains("\"created\"") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let start = try Command.run([runtime, "start", id])
        guard start.status == 0 else { throw ReferenceError(message: "\(runtime) start failed: \(start.stderr)") }
        strace.waitUntilExit()
        return try parseContainerSide(String(contentsOfFile: output, encoding: .utf8))
    }

    /// The container-side calls of `strace -f -n --pidns-translation` output; see
    /// ``recordContainerSide(_:directory:)``.
    public static func parseContainerSide(_ text: String) throws -> Set<Call> {
        let lines = text.split(separator: "\n").map(String.init)
        func pid(of line: String) -> Int? { line.split(separator: " ").first.flatMap { Int($0) } }
        guard
            let start = lines.firstIndex(where: {
                ($0.contains("SECCOMP_SET_MODE_FILTER") && $0.contains("{len=")) || $0.contains("PR_SET_SECCOMP")
            }), let installer = pid(of: lines[start])
        else { throw ReferenceError(message: "no seccomp filter installation in the strace output") }
        var scope: Set<Int> = [installer]
        let cloneResult = try Regex(#"(clone3?|fork|vfork)(\(| resumed).*= \d+ /\* (\d+) in strace"#)
        var grew = true
        while grew {
            grew = false
            for line in lines[start...] {
                guard let owner = pid(of: line), scope.contains(owner),
                    let match = try cloneResult.firstMatch(in: line),
                    let host = match.output[3].substring.flatMap({ Int($0) })
                else { continue }
                if scope.insert(host).inserted { grew = true }
            }
        }
        var container: [String] = []
        for line in lines[(start + 1)...] where pid(of: line).map(scope.contains) == true { container.append(line) }
        return try parse(container.joined(separator: "\n"))
    }

    /// Parses `strace -f -n` output.
    public static func parse(_ text: String) throws -> Set<Call> {
        var calls = Set<Call>()
        for line in text.split(separator: "\n") {
            // "PID  [ NR] name(args..." ; skip signals, exits and resumed halves.
            guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { continue }
            let prefix = line[line.startIndex..<open].trimmingCharacters(in: .whitespaces)
            guard !prefix.isEmpty, prefix.allSatisfy(\.isNumber) else { continue }
            let numberText = line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            guard let number = UInt64(numberText) else { continue }
            let rest = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("<...") { continue }  // the second half of an interrupted call
            guard let paren = rest.firstIndex(of: "(") else { continue }
            let name = String(rest[rest.startIndex..<paren])
            calls.insert(Call(abi: abi(of: number, named: name), number: number))
        }
        return calls
    }

    private static func abi(of number: UInt64, named name: String) -> Architecture {
        if number & Architecture.x32.syscallNumberBase != 0 { return .x32 }
        if SyscallResolver.name(of: number, on: .x86_64) == name { return .x86_64 }
        if SyscallResolver.name(of: number, on: .x86) == name { return .x86 }
        return .x86_64
    }

    /// The same pairs from a cinch trace.
    public static func calls(in trace: Trace) -> Set<Call> {
        var calls = Set<Call>()
        for (abi, record) in trace.abis {
            for name in record.syscalls.keys {
                if case .number(let number) = SyscallResolver.resolve(name, on: abi) {
                    calls.insert(Call(abi: abi, number: UInt64(number)))
                }
            }
            for number in record.unknownNumbers.keys { calls.insert(Call(abi: abi, number: number)) }
        }
        return calls
    }
}
