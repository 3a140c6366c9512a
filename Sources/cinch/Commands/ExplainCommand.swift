// SPDX-License-Identifier: Apache-2.0
// `cinch explain`: the action a profile's compiled filter takes for one syscall, and the rule.

import ArgumentParser
import CinchModel
import CinchSeccomp
import CinchValidate
import CinchWorkflow

/// `cinch explain PROFILE SYSCALL [ARG...] [--arch A]`.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show what a seccomp profile's compiled filter does with one syscall, and which rule decides.",
        discussion: """
            The profile is compiled with libseccomp as a runtime would (a Docker archMap for the \
            native architecture that covers the ABI) and the exported BPF program is run by cinch's \
            interpreter on the call: the syscall's number on the ABI (--arch, default this host's), \
            the ABI's AUDIT_ARCH value, and the arguments (decimal or 0x hexadecimal, up to six, \
            missing ones are 0). Nothing is loaded.

            Prints `ABI NAME(ARGS) [number N]: ACTION` and the JSON path of the profile rule \
            responsible (`$.syscalls[N].names[M]`, or `$.defaultAction` when no rule matches), or \
            says that the filter does not cover the ABI (its bad-architecture action answers).

            Exit status:
              0   the action was explained (whatever it is)
              1   the profile does not compile
              64  the profile cannot be read, or the name is no syscall on the ABI, or a bad argument
            """
    )

    @Argument(help: "The seccomp profile (Docker or OCI JSON).")
    var profile: String

    @Argument(help: "The syscall name.")
    var syscall: String

    @Argument(help: "Argument values (decimal or 0x hexadecimal), up to six.")
    var arguments: [String] = []

    @Option(name: .customLong("arch"), help: "The ABI of the call (default: this host's).")
    var architecture: String?

    func validate() throws {
        if arguments.count > 6 { throw ValidationError("A syscall has at most six arguments.") }
        for text in arguments where Self.value(text) == nil {
            throw ValidationError("'\(text)' is not a 64-bit argument value (decimal or 0x hexadecimal).")
        }
        if let architecture, Architecture(named: architecture) == nil {
            throw ValidationError("Unknown architecture '\(architecture)' (try x86_64, x86, x32, aarch64, arm).")
        }
    }

    func run() throws {
        let values = arguments.compactMap(Self.value)
        switch ExplainJob.run(
            profile: profile, syscall: syscall, arguments: values, abi: architecture.flatMap(Architecture.init(named:)))
        {
        case .explained(let verdict):
            let number = verdict.data.map { " [number \($0.number)]" } ?? ""
            let shown = "(" + values.map(FilterReplay.Call.number).joined(separator: ", ") + ")"
            print("\(verdict.call.abi.name) \(verdict.call.name)\(shown)\(number): \(verdict.result)")
            if !verdict.isCovered {
                print(
                    "rule: none; the filter for \(verdict.native.name) does not cover \(verdict.call.abi.name), so its bad-architecture action answers"
                )
            } else {
                print(
                    "rule: \(verdict.rulePath ?? "none of the profile's rules matches; libseccomp's program decided")")
            }
        case .unreadableProfile(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .unknownSyscall(let name, let abi):
            throw Console.fail(
                "\"\(name)\" is not a syscall libseccomp knows on \(abi.name).", ExitStatus.unusableInput)
        case .uncompilable(let diagnostics):
            Console.report(diagnostics)
            throw ExitStatus.failure
        }
    }

    /// A decimal or `0x` hexadecimal 64-bit value.
    static func value(_ text: String) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
}
