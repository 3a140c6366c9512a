// SPDX-License-Identifier: Apache-2.0
// `cinch check`: regenerate every committed profile from its committed traces and fail on drift.

import ArgumentParser
import CinchDiff
import CinchModel
import CinchValidate

#if canImport(Glibc)
    import Glibc
#endif

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
            differs the semantic diff (committed → regenerated) is printed, for seccomp and AppArmor \
            profiles and text capability lists; other capability formats, and files whose bytes \
            differ without a change in meaning, get a unified diff of their lines. JSON files in the \
            profiles directory that the manifest does not list are reported as warnings.

            --init writes the conventional manifest first (one Docker profile NAME.seccomp.json and one \
            OCI profile NAME.oci.json per Traces/NAME.trace.json, EPERM, observed ABIs; capability \
            lists and AppArmor profiles are added by hand); it refuses to replace an existing \
            manifest. --write regenerates and writes every profile instead of checking; AppArmor \
            profiles are first compiled with `apparmor_parser -Q -K` when it is installed (a note \
            says so when it is not). Without a manifest (and without --init) check fails and says \
            how to create one.

            Exit status:
              0   every profile matches its traces (or --write wrote them)
              1   some profile differs or is missing
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

    var manifestPath: String { manifest ?? "\(profiles)/\(ProfileManifest.fileName)" }

    func run() throws {
        let manifestFile = ProfileCheck.join(root, manifestPath)
        if initialize { try writeConventionalManifest(to: manifestFile) }
        guard FileIO.exists(manifestFile) else {
            Console.error(
                "cinch: no profile manifest at \(manifestFile). Create one with `cinch check --init` (a Docker and an "
                    + "OCI profile per \(traces)/NAME.trace.json) or write it by hand (docs/ci.md).")
            throw ExitStatus.unusableInput
        }
        let loaded: ProfileManifest
        let check: ProfileCheck
        do {
            loaded = try ProfileManifest.load(path: manifestFile)
            check = try ProfileCheck.run(loaded, root: root, isPresent: libseccompPresence)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitStatus.unusableInput
        }
        Console.report(check.diagnostics)
        let ungenerated = check.ungenerated
        if write {
            guard ungenerated.isEmpty else {
                Console.error(
                    "cinch: no profile was written: \(describe(ungenerated)) could not be regenerated; fix the "
                        + "problems above.")
                throw ExitStatus.unusableInput
            }
            try validateAppArmorProfiles(check)
            try writeProfiles(check)
            return
        }
        warnAboutUnlistedProfiles(loaded)
        var drifted = 0
        for outcome in check.outcomes {
            let path = outcome.entry.path
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
                print(DiffRenderer.render(diff, as: format.model), terminator: "")
            } else {
                print("drift: \(path) differs from the \(what) its traces generate:")
            }
            if let lines = outcome.lineDiff, !lines.isEmpty {
                print(format == .markdown ? "```diff\n\(lines)```\n" : lines, terminator: "")
            }
        }
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
            throw ExitCode.failure
        }
    }

    /// `seccomp profile`, `capability list` or `AppArmor profile`.
    private static func noun(_ kind: ProfileManifest.Entry.Kind) -> String {
        switch kind {
        case .seccomp: "seccomp profile"
        case .capabilities: "capability list"
        case .apparmor: "AppArmor profile"
        }
    }

    /// `Profiles/a.caps` or `2 profiles (Profiles/a.caps, Profiles/b.apparmor)`.
    private func describe(_ outcomes: [ProfileCheck.Outcome]) -> String {
        let paths = outcomes.map(\.entry.path)
        return paths.count == 1 ? paths[0] : "\(paths.count) profiles (\(paths.joined(separator: ", ")))"
    }

    /// Compiles the AppArmor profiles about to be written, as `cinch generate apparmor` does: a
    /// profile the parser rejects stops the whole write; without a parser a note says so.
    private func validateAppArmorProfiles(_ check: ProfileCheck) throws {
        var findings: [Diagnostic] = []
        var failed: [ProfileCheck.Outcome] = []
        for outcome in check.outcomes where !outcome.isUpToDate {
            guard case .apparmor = outcome.entry.kind, let text = outcome.expected else { continue }
            let validation = AppArmorValidator.validate(text: text, file: outcome.entry.path)
            switch validation.outcome {
            case .compiles:
                findings += validation.diagnostics
            case .fails:
                findings += validation.diagnostics
                failed.append(outcome)
            case .parserUnavailable:
                let why = validation.diagnostics.map(\.message).joined(separator: " ")
                findings.append(
                    Diagnostic(
                        .note, id: "apparmor.not-validated",
                        "The profile was not compiled, so it is unchecked. \(why) Check it with `cinch validate` "
                            + "where apparmor_parser is installed.",
                        at: ProfileLocation(file: outcome.entry.path)))
            }
        }
        Console.report(findings)
        guard failed.isEmpty else {
            Console.error("cinch: no profile was written: \(describe(failed)) does not compile; fix the traces above.")
            throw ExitStatus.unusableInput
        }
    }

    private func writeProfiles(_ check: ProfileCheck) throws {
        for outcome in check.outcomes {
            if outcome.isUpToDate {
                print("unchanged: \(outcome.entry.path)")
                continue
            }
            guard let expected = outcome.expected else { continue }
            do {
                try FileIO.writeAtomically(expected, to: ProfileCheck.join(root, outcome.entry.path))
            } catch {
                Console.error("cinch: \(error)")
                throw ExitCode(73)
            }
            print("wrote: \(outcome.entry.path)")
        }
    }

    private func writeConventionalManifest(to path: String) throws {
        guard !FileIO.exists(path) else {
            Console.error("cinch: \(path) already exists; edit it, or delete it and run --init again.")
            throw ExitStatus.unusableInput
        }
        let traceFiles = listDirectory(ProfileCheck.join(root, traces))
            .filter { $0.hasSuffix(".trace.json") }
            .map { "\(traces)/\($0)" }
        guard !traceFiles.isEmpty else {
            Console.error(
                "cinch: no *.trace.json files in \(ProfileCheck.join(root, traces)) to build a manifest from.")
            throw ExitStatus.unusableInput
        }
        let conventional = ProfileManifest.conventional(traceFiles: traceFiles, profilesDirectory: profiles)
        do {
            try FileIO.writeAtomically(conventional.rendered(), to: path)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitCode(73)
        }
        print("wrote: \(manifestPath) (\(conventional.entries.count) profiles)")
    }

    private func warnAboutUnlistedProfiles(_ manifest: ProfileManifest) {
        let listed = Set(manifest.entries.map(\.path))
        for name in listDirectory(ProfileCheck.join(root, profiles)).sorted()
        where name.hasSuffix(".json") && name != ProfileManifest.fileName {
            let path = "\(profiles)/\(name)"
            if !listed.contains(path) && "\(profiles)/\(name)" != manifestPath {
                Console.error("cinch: warning: \(path) is not in the manifest, so nothing checks it.")
            }
        }
    }

    /// Names in a directory (no `.` entries), or none when it cannot be read.
    ///
    /// The corresponding C functions are `opendir`, `readdir` and `closedir`.
    private func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }
}
