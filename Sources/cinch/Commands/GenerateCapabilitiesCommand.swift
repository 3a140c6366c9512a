// SPDX-License-Identifier: Apache-2.0
// `cinch generate capabilities`: traces in, a capability drop list out.

import ArgumentParser
import CinchGenerate
import CinchModel
import CinchWorkflow

/// `cinch generate capabilities`.
struct GenerateCapabilitiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capabilities",
        abstract: "Generate a capability drop list (drop ALL, add what was used) from one or more traces.",
        discussion: """
            The list is the union of the capabilities the traces observed; every other capability \
            is dropped. A trace must say it observed capabilities ("observed": ["capabilities", …]), \
            as traces from `cinch record` and from `cinch audit ingest` of a log with AppArmor \
            complain-mode records do; otherwise an empty list would only mean that nobody looked, \
            and the trace is refused.

            Formats (output is byte-identical for the same input):
              text        one CAP_ name per line, sorted; `cinch diff` reads it
              docker      --cap-drop=ALL --cap-add=CAP_… (docker run, podman run)
              oci         process.capabilities: bounding, effective, permitted
              compose     cap_drop and cap_add keys, names without CAP_
              kubernetes  a container securityContext, names without CAP_

            The oci format sets the three sets Docker sets (and `cinch verify --caps` sets) and leaves \
            inheritable and ambient out: a uid 0 workload does not need them. The \
            kubernetes format sets allowPrivilegeEscalation: false only when every trace ran with \
            no_new_privs and SYS_ADMIN is not needed. When no capability is needed, text is empty \
            and the other formats drop ALL and add nothing.

            Notes on stderr say, for each capability, whether Docker's default set has it, and \
            which default capabilities the list drops; -q leaves them out (warnings and errors \
            are still printed). Prove a list with `cinch verify --caps` (see docs/capabilities.md).

            Exit status: 0 on success; 64 when a trace is unusable (cannot be read, did not observe \
            capabilities, or names something that is not a Linux capability; nothing is written \
            then); 73 when the list cannot be written.
            """
    )

    @OptionGroup var io: GeneratorIO

    @Option(help: "Output format: text, docker, oci, compose or kubernetes.")
    var format: CapabilityOutputFormat = .text

    func run() throws {
        try io.generate(.capabilities(format.model), refusal: "no capability list was written: fix the traces above.")
    }
}
