// SPDX-License-Identifier: Apache-2.0
// `cinch runtime` / `cinch-runtime`: the OCI runtime engines call instead of runc or crun.

import ArgumentParser
import CinchLinux
import CinchWorkflow

/// The OCI runtime wrapper. `main` hands its command lines to ``RuntimeJob`` before
/// ArgumentParser sees them (they are runc's, not cinch's); this type documents it in `--help`.
struct RuntimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Act as an OCI runtime (runc's command line) that records containers annotated cinch.dev/trace.",
        discussion: """
            Engines call it instead of runc or crun: install a symbolic link named cinch-runtime (or \
            cinch-runtime-crun) to cinch and give its path to podman --runtime, a Docker daemon.json \
            "runtimes" entry, containerd's runc BinaryName or a CRI-O runtime handler \
            (docs/engines.md). `cinch runtime ARGS…` is the same as `cinch-runtime ARGS…`.

            Every command and flag goes to the real runtime unchanged (runc, or the name's suffix, or \
            "runtime" in /etc/cinch/runtime.json; CINCH_RUNTIME_CONFIG names another settings file). \
            A container whose config.json has the annotation cinch.dev/trace=NAME is recorded: cinch's \
            recording filter replaces the engine's seccomp profile for that run (the engine's is kept in \
            the trace), and the trace is written to NAME in the trace directory (traceDirectory in the \
            settings, default /var/lib/cinch/traces) when the container ends, with its notes in \
            NAME.log. Any other container runs exactly as under the real runtime, untraced.

            Exit status: the real runtime's; 1 when the settings or the annotation are unusable; 127 \
            when the real runtime cannot be run.
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "runc's global flags, command and arguments.")
    var arguments: [String] = []

    func run() throws {
        throw ExitCode(RuntimeJob.wrap(invokedAs: "cinch-runtime", arguments: arguments, onError: Console.error))
    }
}
