// SPDX-License-Identifier: Apache-2.0
// `cinch generate seccomp`: traces in, least-privilege profile out.

import ArgumentParser
import CinchGenerate
import CinchModel
import CinchWorkflow

/// Groups the generators.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate profiles from traces.",
        subcommands: [GenerateSeccompCommand.self, GenerateCapabilitiesCommand.self, GenerateAppArmorCommand.self]
    )
}

/// `cinch generate seccomp`.
struct GenerateSeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp",
        abstract: "Generate a least-privilege seccomp profile from one or more traces.",
        discussion: """
            The profile denies by default and allows what the traces saw, plus exit, exit_group, \
            rt_sigreturn and restart_syscall. Several traces are merged by union. Docker format lists \
            the observed ABIs in archMap; OCI format in architectures. Output is byte-identical for \
            the same input.

            Where the traces recorded argument values, the profile restricts arguments too: socket \
            to the observed address families, personality to the observed personas, and clone to \
            calls without namespace flags (Docker's rule) when no call created a namespace. \
            --no-argument-rules allows every syscall by name only, as traces without argument data do.

            --arch A (repeatable) builds the profile for those ABIs instead of the observed ones, and \
            translates every name recorded on another ABI to what the target uses for it, by \
            libseccomp's tables: legacy calls to their successors (open → openat, stat → newfstatat, \
            dup2 → dup3, epoll_wait → epoll_pwait, fork → clone, … on aarch64 and riscv64), and on \
            32-bit ABIs the 64-bit-offset, 32-bit-id and *_time64 variants too. A note lists each \
            translation; a name with no equivalent on a target (arch_prctl on aarch64) is a warning, \
            since a build for that target does not make it. clone's argument rule moves to argument \
            1 on s390x. See docs/profiles.md.

            Exit status: 0 on success (warnings are printed to stderr); 64 when a trace is unusable or \
            names a syscall that is malformed or unknown to libseccomp (nothing is written then); 73 \
            when the profile cannot be written.
            """
    )

    @OptionGroup var io: GeneratorIO

    @Option(help: "Profile format: docker or oci.")
    var format: ProfileFormat = .docker

    @Option(help: "Errno for denied syscalls: EPERM or ENOSYS.")
    var defaultErrno: DefaultErrno = .EPERM

    @Option(
        name: .customLong("arch"),
        help: "Cover this ABI instead of the observed ones, translating names to it (repeatable).")
    var architectures: [String] = []

    @Flag(help: "Allow syscalls by name only, without argument conditions from recorded values.")
    var noArgumentRules = false

    func validate() throws {
        for name in architectures where Architecture(named: name) == nil {
            throw ValidationError("Unknown architecture '\(name)' (try x86_64, x86, x32, aarch64, arm).")
        }
    }

    func run() throws {
        let options = SeccompProfileGenerator.Options(
            format: format.model, defaultErrno: defaultErrno.value,
            architectures: architectures.isEmpty ? nil : architectures.compactMap { Architecture(named: $0) },
            argumentRules: !noArgumentRules)
        try io.generate(.seccomp(options), refusal: "no profile was written: fix the traces above.")
    }
}
