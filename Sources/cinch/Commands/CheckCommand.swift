// SPDX-License-Identifier: Apache-2.0
// `cinch check`: regenerate every committed profile from its committed traces and fail on drift.

import ArgumentParser
import CinchDiff
import CinchModel

#if canImport(Glibc)
    import Glibc
#endif

/// `cinch check [--traces DIR] [--profiles DIR] [--manifest FILE] [--write] [--init]`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Regenerate every profile in Profiles/ from its traces and fail when one differs.",
        discussion: """
            The manifest (default Profiles/cinch-profiles.json) records, for each profile file, its \
            format (docker or oci), defaultErrno, architectures and trace files, all relative to the \
            repository root (--root, default the current directory). Each profile is regenerated in \
            memory and compared byte for byte with the committed file; for every file that differs \
            the semantic diff (committed → regenerated) is printed. JSON files in the profiles \
            directory that the manifest does not list are reported as warnings.

            --init writes the conventional manifest first (one Docker profile NAME.seccomp.json and one \
            OCI profile NAME.oci.json per Traces/NAME.trace.json, EPERM, observed ABIs); it refuses \
            to replace an existing manifest. --write regenerates and writes every profile instead of \
            checking. Without a manifest (and without --init) check fails and says how to create one.

            Exit status:
              0   every profile matches its traces (or --write wrote them)
              1   some profile differs or is missing
              64  no manifest, or an unusable manifest or trace
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
        if write {
            try writeProfiles(check)
            return
        }
        warnAboutUnlistedProfiles(loaded)
        var drifted = 0
        for outcome in check.outcomes {
            if outcome.isUpToDate {
                print("ok: \(outcome.entry.path)")
                continue
            }
            drifted += 1
            if let problem = outcome.problem {
                print("drift: \(outcome.entry.path): \(problem)")
            } else if let diff = outcome.diff, diff.isEmpty {
                print("drift: \(outcome.entry.path) means the same as the regenerated profile but its bytes differ")
            } else if let diff = outcome.diff {
                print("drift: \(outcome.entry.path) differs from the profile its traces generate:")
                print(DiffRenderer.render(diff, as: format.model), terminator: "")
            }
        }
        if drifted > 0 {
            Console.error(
                "cinch: \(drifted) of \(check.outcomes.count) profiles drifted; run `cinch check --write` and commit "
                    + "the result if the change is intended.")
            throw ExitCode.failure
        }
    }

    private func writeProfiles(_ check: ProfileCheck) throws {
        for outcome in check.outcomes {
            if outcome.isUpToDate {
                print("unchanged: \(outcome.entry.path)")
                continue
            }
            do {
                try FileIO.writeAtomically(outcome.expected, to: ProfileCheck.join(root, outcome.entry.path))
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
