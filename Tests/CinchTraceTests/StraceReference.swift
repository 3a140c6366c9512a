// SPDX-License-Identifier: Apache-2.0
// The reference recording: `strace -f -n`, which stops on every syscall, parsed per ABI.

import CinchModel
import CinchSeccomp
import CinchTestSupport
import Foundation

/// What `strace -f -n` saw, as (ABI, syscall number) pairs.
///
/// strace prints the number it saw next to the name (`[  20] getpid()`); the ABI is the one whose
/// table gives that name for that number (x32 numbers carry `__X32_SYSCALL_BIT`).
enum StraceReference {
    struct Call: Hashable, CustomStringConvertible {
        var abi: Architecture
        var number: UInt64
        var description: String { "\(abi.name):\(SyscallResolver.name(of: number, on: abi) ?? "#\(number)")" }
    }

    static func record(_ arguments: [String]) throws -> Set<Call> {
        let directory = try Command.temporaryDirectory("strace")
        defer { Command.removeDirectory(directory) }
        let output = directory + "/strace.txt"
        let result = try Command.run(["strace", "-f", "-n", "-qq", "-o", output] + arguments)
        guard result.status == 0 else {
            throw ReferenceError(message: "strace failed with \(result.status): \(result.stderr)")
        }
        return try parse(String(contentsOfFile: output, encoding: .utf8))
    }

    struct ReferenceError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func parse(_ text: String) throws -> Set<Call> {
        var calls = Set<Call>()
        for line in text.split(separator: "\n") {
            // "PID  [ NR] name(args..." ; skip signals, exits and resumed halves.
            guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { continue }
            let prefix = line[line.startIndex..<open].trimmingCharacters(in: .whitespaces)
            guard !prefix.isEmpty, prefix.allSatisfy(\.isNumber) else { continue }
            let numberText = line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            guard let number = UInt64(numberText) else { continue }
            let rest = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
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
    static func calls(in trace: Trace) -> Set<Call> {
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
