// SPDX-License-Identifier: Apache-2.0
// `cinch generate security-context`: traces or a capability list in, a Kubernetes securityContext out.

import ArgumentParser
import CinchGenerate
import CinchModel
import CinchWorkflow

/// `cinch generate security-context`.
struct GenerateSecurityContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "security-context",
        abstract: "Generate a Kubernetes container securityContext from traces or a capability list.",
        discussion: """
            The securityContext drops ALL capabilities and adds back the ones the traces observed \
            (computed as `cinch generate capabilities` does, with the same refusals and notes), or \
            the ones a capability list file names (--capabilities FILE, any format `generate \
            capabilities` writes). Names are written without CAP_, sorted.

            --seccomp-profile PATH adds seccompProfile {type: Localhost, localhostProfile: PATH}: \
            PATH is relative to the kubelet's seccomp directory (profiles/app.json). \
            --apparmor-profile NAME adds appArmorProfile {type: Localhost, localhostProfile: NAME} \
            (Kubernetes 1.30+) for a profile loaded on the node. The profiles themselves are not \
            read: install them on the nodes (or with the security-profiles-operator).

            allowPrivilegeEscalation: false is written only when every trace ran with no_new_privs \
            and SYS_ADMIN is not kept (or the list file is a securityContext that says so), as in \
            the kubernetes format of `generate capabilities`; otherwise it is left out. Output is \
            byte-identical for the same input. See docs/kubernetes.md.

            Exit status: 0 on success; 64 when an option is wrong, a trace or the list is unusable, \
            or the list names something that is not a Linux capability (nothing is written then); \
            73 when the securityContext cannot be written.
            """
    )

    @Argument(help: "Trace files (or give --capabilities).")
    var traces: [String] = []

    @Option(help: "A capability list file to take the capabilities from, instead of traces.")
    var capabilities: String?

    @Option(help: "A seccomp profile path relative to the kubelet's seccomp directory (profiles/app.json).")
    var seccompProfile: String?

    @Option(help: "The name of an AppArmor profile loaded on the node.")
    var apparmorProfile: String?

    @Option(name: .shortAndLong, help: "Output file; - is standard output.")
    var output = "-"

    @Flag(name: .shortAndLong, help: "Print no notes.")
    var quiet = false

    private var options: SecurityContextGenerator.Options {
        .init(seccompProfile: seccompProfile, appArmorProfile: apparmorProfile)
    }

    func validate() throws {
        if traces.isEmpty == (capabilities == nil) {
            throw ValidationError("Give trace files or --capabilities FILE, not both and not neither.")
        }
        if let problem = options.problems.first { throw ValidationError(problem) }
    }

    func run() throws {
        let source: SecurityContextJob.Source = capabilities.map { .capabilityList($0) } ?? .traces(traces)
        try GeneratorIO.finish(
            SecurityContextJob.run(source, options: options, output: output), quiet: quiet,
            refusal: "no securityContext was written: fix the problems above.")
    }
}
