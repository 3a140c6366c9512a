// SPDX-License-Identifier: Apache-2.0
// `cinch check`: the manifest's profiles regenerated from their traces, compared or written.

public import CinchDiff
internal import CinchLinux
public import CinchModel

/// The jobs of `cinch check`: create the conventional manifest, check every profile for drift,
/// or rewrite every profile. All of them build through ``ArtifactBuilder``, as `cinch generate`
/// does, so a profile `generate` refuses is refused here too.
public enum ManifestJob {
    /// Where things are, as `cinch check` is told.
    public struct Layout: Sendable {
        /// The directory every manifest path is relative to.
        public var root: String
        /// The traces directory (for ``initialize(_:)``), relative to the root.
        public var traces: String
        /// The profiles directory, relative to the root.
        public var profiles: String
        /// The manifest, relative to the root.
        public var manifest: String

        /// Creates a layout; the manifest defaults to `PROFILES/cinch-profiles.json`.
        public init(root: String = ".", traces: String = "Traces", profiles: String = "Profiles", manifest: String?) {
            self.root = root
            self.traces = traces
            self.profiles = profiles
            self.manifest = manifest ?? "\(profiles)/\(ProfileManifest.fileName)"
        }

        /// The manifest's path as the file system sees it.
        public var manifestFile: String { ProfileCheck.join(root, manifest) }
    }

    /// How ``initialize(_:)`` ended.
    public enum Initialization: Sendable {
        /// The manifest was written with this many profiles.
        case wrote(profiles: Int)
        /// A manifest already exists; nothing was written.
        case exists
        /// The traces directory holds no `*.trace.json`.
        case noTraces(directory: String)
        /// The manifest could not be written.
        case unwritable(InputError)
    }

    /// How ``check(_:isPresent:)`` or ``write(_:isPresent:)`` ended before comparing or writing.
    public enum Loaded: Sendable {
        /// There is no manifest.
        case noManifest
        /// The manifest or one of its traces cannot be read.
        case unusable(InputError)
        /// Every entry was built (or refused) and compared.
        case checked(ProfileManifest, ProfileCheck)
    }

    /// How ``write(_:isPresent:)`` ended once the manifest was read.
    public enum Writing: Sendable {
        /// Every profile was written (or was already up to date), in manifest order.
        case wrote([(path: String, changed: Bool)])
        /// Nothing was written because these entries could not be built.
        case refused([ProfileCheck.Outcome])
        /// Writing stopped at a file that could not be written; the ones before it were written.
        case unwritable(written: [(path: String, changed: Bool)], error: InputError)
    }

    /// Writes the conventional manifest: a Docker and an OCI profile per `TRACES/NAME.trace.json`.
    public static func initialize(_ layout: Layout) -> Initialization {
        guard !FileIO.exists(layout.manifestFile) else { return .exists }
        let directory = ProfileCheck.join(layout.root, layout.traces)
        let traceFiles = visibleEntries(directory).filter { $0.hasSuffix(".trace.json") }.map {
            "\(layout.traces)/\($0)"
        }
        guard !traceFiles.isEmpty else { return .noTraces(directory: directory) }
        let manifest = ProfileManifest.conventional(traceFiles: traceFiles, profilesDirectory: layout.profiles)
        do {
            // A new repository has traces but no profiles directory yet.
            if let slash = layout.manifestFile.lastIndex(of: "/"), slash != layout.manifestFile.startIndex {
                try FileIO.makeDirectory(String(layout.manifestFile[..<slash]))
            }
            try FileIO.writeAtomically(manifest.rendered(), to: layout.manifestFile)
        } catch {
            return .unwritable(error)
        }
        return .wrote(profiles: manifest.entries.count)
    }

    /// Reads the manifest and builds and compares every entry.
    ///
    /// - Parameter isPresent: passed to the seccomp diff (whether a syscall exists on an ABI).
    public static func check(_ layout: Layout, isPresent: SyscallPresence? = nil) -> Loaded {
        guard FileIO.exists(layout.manifestFile) else { return .noManifest }
        do {
            let manifest = try ProfileManifest.load(path: layout.manifestFile)
            return .checked(manifest, try ProfileCheck.run(manifest, root: layout.root, isPresent: isPresent))
        } catch {
            return .unusable(error)
        }
    }

    /// Writes every profile of a checked manifest, or none when any entry could not be built.
    public static func write(_ check: ProfileCheck, layout: Layout) -> Writing {
        let refused = check.ungenerated
        guard refused.isEmpty else { return .refused(refused) }
        var written: [(path: String, changed: Bool)] = []
        for outcome in check.outcomes {
            guard !outcome.isUpToDate else {
                written.append((outcome.entry.path, false))
                continue
            }
            guard let expected = outcome.expected else { continue }
            do {
                try ArtifactBuilder.write(expected, to: ProfileCheck.join(layout.root, outcome.entry.path))
            } catch {
                return .unwritable(written: written, error: error)
            }
            written.append((outcome.entry.path, true))
        }
        return .wrote(written)
    }

    /// JSON files in the profiles directory that the manifest does not list (nothing checks them).
    public static func unlistedProfiles(_ manifest: ProfileManifest, layout: Layout) -> [String] {
        let listed = Set(manifest.entries.map(\.path))
        return visibleEntries(ProfileCheck.join(layout.root, layout.profiles))
            .filter { $0.hasSuffix(".json") && $0 != ProfileManifest.fileName }
            .map { "\(layout.profiles)/\($0)" }
            .filter { !listed.contains($0) && $0 != layout.manifest }
    }

    /// Names in a directory without hidden ones, sorted; none when it cannot be read.
    private static func visibleEntries(_ directory: String) -> [String] {
        ((try? FileIO.directoryEntries(directory)) ?? []).filter { !$0.hasPrefix(".") }
    }
}
