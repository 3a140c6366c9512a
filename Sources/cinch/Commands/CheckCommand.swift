// SPDX-License-Identifier: Apache-2.0
// `cinch check`: regenerate every committed profile from its committed traces and fail on drift.

import ArgumentParser
import CinchDiff
import CinchModel
import CinchValidate
import CinchWorkflow

/// `cinch check [--traces DIR] [--profiles DIR] [--manifest FILE] [--write] [--init]`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Regenerate every profile in Profiles/ from its traces and fail when one differs.",
        discussion: """
            The manifest (default Profiles/cinch-profiles.json) lists each generated file with its \
            kind and trace files, all relative to the repository root (--root, default the current \
            directory): seccomp profiles (format docker or oci, defaultErrno, architectures), \
            capability lists (format text, docker, oci, compose or kubernetes) and AppArmor profiles \
            (name, complain); see docs/ci.md. Each file is regenerated in memory, as `cinch generate` \
            would write it, and compared byte for byte with the committed file. For every file that \
            differs cinch says what the committed file allows that its traces do not justify, and what \
            its traces use that it does not allow, then prints the semantic diff from what the traces \
            generate to the committed file (a widening is a privilege only the committed file grants); \
            files whose bytes differ without a change in meaning get a unified diff of their lines. \
            --format json prints the whole check as one JSON document. JSON files in the profiles \
            directory that the manifest does not list are reported as warnings.

            Every seccomp profile is also proven against its traces: each recorded call (every ABI, \
            every recorded argument value) is replayed through the committed file's compiled filter, \
            as `cinch validate --trace` does, and each call it would not allow is reported.

            --init writes the conventional manifest first (one Docker profile NAME.seccomp.json and one \
            OCI profile NAME.oci.json per Traces/NAME.trace.json, EPERM, observed ABIs; capability \
            lists and AppArmor profiles are added by hand); it refuses to replace an existing \
            manifest. --write regenerates and writes every profile instead of checking; AppArmor \
            profiles are first compiled with `apparmor_parser -Q -K` when it is installed (a note \
            says so when it is not). Without a manifest (and without --init) check fails and says \
            how to create one.

            Exit status:
              0   every profile matches its traces (or --write wrote them)
              1   some profile differs or is missing, or does not allow a call its traces recorded
              64  no manifest, or an unusable manifest or trace: a trace that cannot be read, or \
            that a generator refuses (a capability list from a trace that did not observe \
            capabilities, an AppArmor profile from one that did not observe files); with --write, \
            an AppArmor profile that does not compile. --write then writes nothing.
              73  a file could not be written
            """
    )

    @Option(help: "Directory of the traces, relative to the root (used by --init).")
    var traces = "Traces"

    @Option(help: "Directory of the profiles, relative to the root.")
    var profiles = "Profiles"

    @Option(help: "The manifest (default: PROFILES/cinch-profiles.json), relative to the root.")
    var manifest: String?

    @Option(help: "The repository root that manifest paths are relative to.")
    var root = "."

    @Flag(help: "Regenerate and write every profile instead of checking.")
    var write = false

    @Flag(name: .customLong("init"), help: "Create the conventional manifest from the traces directory first.")
    var initialize = false

    @Option(help: "Diff format for drifted profiles: text, markdown or json.")
    var format: DiffOutputFormat = .text

    var layout: ManifestJob.Layout {
        ManifestJob.Layout(root: root, traces: traces, profiles: profiles, manifest: manifest)
    }

    func run() throws {
        let layout = self.layout
        if initialize { try writeConventionalManifest(layout) }
        let manifest: ProfileManifest
        let check: ProfileCheck
        switch ManifestJob.check(layout, isPresent: ProfileDiff.libseccompPresence) {
        case .noManifest:
            Console.error(
                "cinch: no profile manifest at \(layout.manifestFile). Create one with `cinch check --init` (a Docker and an "
                    + "OCI profile per \(traces)/NAME.trace.json) or write it by hand (docs/ci.md).")
            throw ExitStatus.unusableInput
        case .unusable(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .checked(let loaded, let checked):
            manifest = loaded
            check = checked
        }
        Console.report(check.diagnostics)
        if write {
            try writeProfiles(check, layout: layout)
            return
        }
        let unlisted = ManifestJob.unlistedProfiles(manifest, layout: layout)
        for path in unlisted {
            Console.error("cinch: warning: \(path) is not in the manifest, so nothing checks it.")
        }
        if format == .json { print(check.jsonValue(unlisted: unlisted).rendered(), terminator: "") }
        var drifted = 0
        var unproven = 0
        for outcome in check.outcomes {
            if format == .json {
                if outcome.isGenerated, !outcome.isUpToDate { drifted += 1 }
                if let replay = outcome.replay, !replay.allAllowed {
                    // The JSON document is on standard output; the calls go to standard error.
                    unproven += 1
                    Console.report(replay.diagnostics)
                }
                continue
            }
            let path = outcome.entry.path
            if let replay = outcome.replay, !replay.allAllowed {
                unproven += 1
                Console.report(replay.diagnostics)
                let denied = replay.diagnostics.filter { $0.severity == .error }.count
                print("unproven: \(path) does not allow \(denied) of the \(replay.callCount) calls its traces recorded")
            }
            if !outcome.isGenerated {
                print("error: \(path) could not be regenerated from \(outcome.entry.traces.joined(separator: ", "))")
                continue
            }
            if outcome.isUpToDate {
                print("ok: \(path)")
                continue
            }
            drifted += 1
            let what = Self.noun(outcome.entry.kind)
            if let problem = outcome.problem {
                print("drift: \(path): \(problem)")
            } else if let diff = outcome.diff, diff.isEmpty {
                print("drift: \(path) means the same as the regenerated \(what) but its bytes differ")
            } else if let diff = outcome.diff {
                print("drift: \(path) differs from the \(what) its traces generate:")
                if !outcome.unjustified.isEmpty {
                    print(
                        "  \(path) allows what its traces do not justify: \(outcome.unjustified.joined(separator: ", "))"
                    )
                }
                if !outcome.missing.isEmpty {
                    print("  \(path) does not allow what its traces use: \(outcome.missing.joined(separator: ", "))")
                }
                print(DiffRenderer.render(diff, as: format.model), terminator: "")
            } else {
                print("drift: \(path) differs from the \(what) its traces generate:")
            }
            if let lines = outcome.lineDiff, !lines.isEmpty {
                print(format == .markdown ? "```diff\n\(lines)```\n" : lines, terminator: "")
            }
        }
        let ungenerated = check.ungenerated
        if !ungenerated.isEmpty {
            Console.error(
                "cinch: \(describe(ungenerated)) could not be regenerated from \(ungenerated.count == 1 ? "its" : "their") "
                    + "traces; fix the problems above.")
            throw ExitStatus.unusableInput
        }
        if drifted > 0 {
            Console.error(
                "cinch: \(drifted) of \(check.outcomes.count) profiles drifted; run `cinch check --write` and commit "
                    + "the result if the change is intended.")
        }
        if unproven > 0 {
            Console.error(
                "cinch: \(unproven) seccomp profile\(unproven == 1 ? " does" : "s do") not allow what \(unproven == 1 ? "its" : "their") traces recorded."
            )
        }
        if drifted > 0 || unproven > 0 { throw ExitStatus.failure }
    }

    /// `seccomp profile`, `capability list` or `AppArmor profile`.
    private static func noun(_ kind: ProfileManifest.Entry.Kind) -> String {
        switch kind {
        case .seccomp: "seccomp profile"
        case .seccompObject: "SeccompProfile object"
        case .capabilities: "capability list"
        case .apparmor: "AppArmor profile"
        }
    }

    /// `Profiles/a.caps` or `2 profiles (Profiles/a.caps, Profiles/b.apparmor)`.
    private func describe(_ outcomes: [ProfileCheck.Outcome]) -> String {
        let paths = outcomes.map(\.entry.path)
        return paths.count == 1 ? paths[0] : "\(paths.count) profiles (\(paths.joined(separator: ", ")))"
    }

    /// `--write`: every profile or none; says which ones changed.
    private func writeProfiles(_ check: ProfileCheck, layout: ManifestJob.Layout) throws {
        // A profile written unchecked says so, as `cinch generate` does.
        for outcome in check.outcomes where !outcome.isUpToDate {
            Console.report(outcome.buildDiagnostics.filter { $0.id == "apparmor.not-validated" })
        }
        func list(_ written: [(path: String, changed: Bool)]) {
            for file in written { print(file.changed ? "wrote: \(file.path)" : "unchanged: \(file.path)") }
        }
        switch ManifestJob.write(check, layout: layout) {
        case .wrote(let written):
            list(written)
        case .refused(let refused):
            let notBuilt = refused.filter { $0.failure != .validation }
            let why =
                notBuilt.isEmpty
                ? "\(describe(refused)) \(refused.count == 1 ? "does" : "do") not compile; fix the traces above."
                : "\(describe(notBuilt)) could not be regenerated; fix the problems above."
            Console.error("cinch: no profile was written: \(why)")
            throw ExitStatus.unusableInput
        case .unwritable(let written, let error):
            list(written)
            throw Console.fail(error, ExitStatus.cannotWrite)
        }
    }

    private func writeConventionalManifest(_ layout: ManifestJob.Layout) throws {
        switch ManifestJob.initialize(layout) {
        case .wrote(let count):
            print("wrote: \(layout.manifest) (\(count) profiles)")
        case .exists:
            Console.error("cinch: \(layout.manifestFile) already exists; edit it, or delete it and run --init again.")
            throw ExitStatus.unusableInput
        case .noTraces(let directory):
            Console.error("cinch: no *.trace.json files in \(directory) to build a manifest from.")
            throw ExitStatus.unusableInput
        case .unwritable(let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        }
    }
}
