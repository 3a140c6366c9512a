// SPDX-License-Identifier: Apache-2.0
// `cinch diff OLD NEW`: semantic differences between two profiles, with risk labels and CI exit codes.

import ArgumentParser
import CinchDiff
import CinchModel
import CinchSeccomp
import CinchWorkflow

enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case widen, any
}

/// The host a Docker-format profile is resolved for: `--arch`, `--caps`, `--kernel`.
struct TargetOptions: ParsableArguments {
    @Option(help: "Native architecture of the target host (x86_64, aarch64, ...).")
    var arch = "x86_64"

    @Option(
        help: ArgumentHelp(
            "Container capabilities, comma-separated (CAP_ prefix optional); 'none' for none.",
            discussion: "Default: Docker's 14 default capabilities."))
    var caps: String?

    @Option(help: "Kernel version for Docker's minKernel conditions (X.Y), or 'latest' (every minKernel met).")
    var kernel = "latest"

    func validate() throws {
        guard Architecture(named: arch) != nil else {
            throw ValidationError("Unknown architecture '\(arch)' (try x86_64, aarch64, s390x).")
        }
        if kernel != "latest", KernelVersion(kernel) == nil {
            throw ValidationError("--kernel must be X.Y (for example 5.15) or 'latest', not '\(kernel)'.")
        }
    }

    /// The target these options describe.
    var target: SeccompTarget {
        let native = Architecture(named: arch) ?? .x86_64
        var capabilities: Set<String>?
        if let caps {
            capabilities =
                caps == "none"
                ? [] : Set(caps.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
        }
        return SeccompTarget(native: native, capabilities: capabilities, kernel: KernelVersion(kernel))
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// `cinch diff OLD NEW`.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what NEW allows that OLD did not, and the reverse (seccomp, AppArmor, capabilities).",
        discussion: """
            Seccomp profiles (Docker or OCI JSON) are compared by meaning, not text: both are resolved \
            for the target (--arch, --caps, --kernel: Docker's archMap and includes/excludes), names \
            are checked against libseccomp per ABI, and rule layout, order, dialect and duplicates do \
            not matter. Per ABI it reports added and removed syscalls, widened or narrowed argument \
            filters, changed actions, and changes of the default action, errno, architectures and \
            flags. Widenings of risky syscalls carry a one-line risk label.

            OLD may be the word `docker-default`: Docker's default seccomp profile (moby/profiles \
            seccomp/default.json at cd3bed8, 2026-06-30, built into cinch). The report then shows \
            how many syscalls NEW removes.

            A file whose first token is `profile`, `#include`, `include`, `abi` or `/path ... {` is an \
            AppArmor profile: rules are compared by meaning (file modes per path, widened globs, exec \
            modes, capabilities, network, signal, ptrace, mount, deny rules); see docs/apparmor-diff.md.

            Any other file that does not start with `{` is a capability list: a JSON array of names or one \
            name per line (`#` comments).

            Exit status:
              0   same meaning (or, with --fail-on widen, nothing widened)
              1   different (with --fail-on widen: some privilege widened, or an argument filter \
            changed in a way cinch cannot classify)
              2   other failure
              64  an input could not be read or parsed, or OLD and NEW are of different kinds
            """
    )

    @Argument(help: "The baseline profile, or 'docker-default'.")
    var old: String

    @Argument(help: "The profile to compare with it.")
    var new: String

    @Option(help: "Output format: text, markdown (for a pull-request comment) or json.")
    var format: DiffOutputFormat = .text

    @Option(help: "When to exit 1: 'any' difference, or only when privileges 'widen'.")
    var failOn: FailOn = .any

    @OptionGroup var targetOptions: TargetOptions

    func run() throws {
        switch DiffJob.run(old: old, new: new, target: targetOptions.target) {
        case .unusable(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .differentKinds(let before, let after):
            Console.error("cinch: \(old) and \(new) are of different kinds (\(before) and \(after)).")
            throw ExitStatus.unusableInput
        case .compared(let diff):
            print(DiffRenderer.render(diff, as: format.model), terminator: "")
            switch failOn {
            case .any where !diff.isEmpty: throw ExitStatus.failure
            case .widen where diff.widens: throw ExitStatus.failure
            default: return
            }
        }
    }
}
