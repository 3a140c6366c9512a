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
        subcommands: [
            GenerateSeccompCommand.self, GenerateCapabilitiesCommand.self, GenerateAppArmorCommand.self,
            GenerateSecurityContextCommand.self,
        ]
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

            --format spo writes the OCI form inside a security-profiles-operator SeccompProfile \
            object (YAML) named by --name (a DNS-1123 subdomain). It is written for the operator's \
            v1 API (1.0 and later), where the object is cluster-scoped; --spo-api v1beta1 writes \
            the namespaced object of older operators, in --namespace when given (a DNS-1123 \
            label). The object has no field for a default errno other than EPERM, and no \
            loongarch64 architecture; such a profile is refused. See docs/kubernetes.md.

            Exit status: 0 on success (warnings are printed to stderr); 64 when an option is wrong, a \
            trace is unusable or names a syscall that is malformed or unknown to libseccomp, or a \
            SeccompProfile object cannot hold the profile (nothing is written then); 73 when the \
            profile cannot be written.
            """
    )

    @OptionGroup var io: GeneratorIO

    @Option(help: "Profile format: docker, oci, or spo (a security-profiles-operator SeccompProfile object).")
    var format: SeccompOutputFormat = .docker

    @Option(help: "With --format spo: the object's name (a DNS-1123 subdomain).")
    var name: String?

    @Option(
        help: """
            With --format spo: the operator's API, v1 (1.0 and later, cluster-scoped; the default) or \
            v1beta1 (older, namespaced).
            """)
    var spoApi: OperatorAPIOption?

    @Option(help: "With --spo-api v1beta1: the object's namespace (a DNS-1123 label; default: none).")
    var namespace: String?

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
        guard format == .spo else {
            if name != nil || namespace != nil || spoApi != nil {
                throw ValidationError("--name, --namespace and --spo-api need --format spo.")
            }
            return
        }
        if let namespace, !(spoApi?.model ?? .v1).isNamespaced {
            throw ValidationError(
                "--namespace \(namespace): a SeccompProfile is cluster-scoped since security-profiles-operator 1.0 (API v1); leave --namespace out, or add --spo-api v1beta1 for the namespaced object of older operators."
            )
        }
        guard let name else { throw ValidationError("--format spo needs --name NAME for the SeccompProfile object.") }
        if let problem = KubernetesObjectMetadata(name: name, namespace: namespace).problems.first {
            throw ValidationError(problem)
        }
        if defaultErrno != .EPERM {
            throw ValidationError(
                "--format spo needs --default-errno EPERM: a SeccompProfile object has no field for another default errno."
            )
        }
    }

    func run() throws {
        let options = SeccompProfileGenerator.Options(
            format: format.model, defaultErrno: defaultErrno.value,
            architectures: architectures.isEmpty ? nil : architectures.compactMap { Architecture(named: $0) },
            argumentRules: !noArgumentRules)
        let recipe: ArtifactRecipe
        if format == .spo, let name {
            recipe = .seccompProfileObject(
                options, KubernetesObjectMetadata(name: name, namespace: namespace), spoApi?.model ?? .v1)
        } else {
            recipe = .seccomp(options)
        }
        try io.generate(recipe, refusal: "no profile was written: fix the traces above.")
    }
}
