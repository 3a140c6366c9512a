// SPDX-License-Identifier: Apache-2.0
// `cinch explain`: what a profile's compiled filter does with one syscall, and which rule says so.

internal import CinchLinux
public import CinchModel
internal import CinchSeccomp
public import CinchValidate

/// Answers what a profile does with one syscall, by running its compiled filter.
public enum ExplainJob {
    /// How the job ended.
    public enum Outcome: Sendable {
        /// The filter's answer, with the rule responsible.
        case explained(FilterReplay.Verdict)
        /// The profile cannot be read or parsed.
        case unreadableProfile(InputError)
        /// The name is no syscall libseccomp knows on the ABI.
        case unknownSyscall(name: String, abi: Architecture)
        /// The profile does not compile; the errors say why.
        case uncompilable([Diagnostic])
    }

    /// Compiles `profile` and runs its filter on `syscall(arguments)` made with `abi`.
    ///
    /// - Parameters:
    ///   - profile: the profile file.
    ///   - syscall: a syscall name.
    ///   - arguments: up to six argument values; missing ones are 0.
    ///   - abi: the ABI of the call; nil is the host's.
    public static func run(
        profile path: String, syscall: String, arguments: [UInt64], abi: Architecture?
    ) -> Outcome {
        let profile: SeccompProfile
        do throws(InputError) {
            profile = try SeccompProfile(jsonBytes: try FileIO.read(path), file: path)
        } catch {
            return .unreadableProfile(error)
        }
        let abi = abi ?? SyscallResolver.native
        let replay = FilterReplay(profile: profile, file: path, host: SyscallResolver.native)
        guard replay.diagnostics.isEmpty else { return .uncompilable(replay.diagnostics) }
        guard let verdict = replay.evaluate(FilterReplay.Call(abi: abi, name: syscall, arguments: arguments)) else {
            return .unknownSyscall(name: syscall, abi: abi)
        }
        return .explained(verdict)
    }
}
