// SPDX-License-Identifier: Apache-2.0
// Finds and removes what a cinch process that was killed (SIGKILL) left behind.

internal import CinchLinux
internal import CinchModel

/// Containers and temporary bundles of cinch processes that no longer exist.
///
/// A cinch that is killed outright cannot clean up: its container (`cinch-PID-N`) stays, often
/// stopped, and so does its temporary bundle (`/tmp/cinch-bundle-*`, whose `owner` file names
/// the PID). Every container command calls ``clean()`` first and says what it removed. Only
/// leftovers whose owner is gone are touched: a PID that is alive and a cinch process (its
/// `comm` starts with `cinch`) still owns its container. A `cinch-bundle-*` directory without an
/// `owner` file (cinch was killed between creating it and writing the file, or an older cinch
/// made it) is removed only when it holds nothing but cinch's own files, no container of any
/// runtime uses it, and it is older than ``ownerlessGrace``: a cinch starting right now is still
/// inside that window.
public enum Leftovers {
    /// The directory temporary bundles live in.
    static let bundleDirectory = "/tmp"
    /// The prefix of their names.
    static let bundlePrefix = "cinch-bundle-"

    /// Removes every leftover of a dead cinch process, with every runtime cinch drives.
    ///
    /// - Returns: what was removed (`runc container cinch-123-1`, `bundle /tmp/cinch-bundle-x`).
    public static func clean() -> [String] {
        var removed: [String] = []
        for runtime in ContainerRuntime.allCases {
            for container in containers(of: runtime) where !isLiveCinch(container.owner) {
                guard (try? ProcessRunner.run([runtime.rawValue, "delete", "--force", container.id]))?.shellStatus == 0
                else { continue }
                removed.append("\(runtime.rawValue) container \(container.id)")
                if container.bundle.hasPrefix(bundleDirectory + "/" + bundlePrefix) {
                    OCIBundle.removeTemporaryBundle(container.bundle)
                    removed.append("bundle \(container.bundle)")
                }
            }
        }
        let names = (try? FileIO.directoryEntries(bundleDirectory)) ?? []
        var inUse: Set<String>??
        for name in names where name.hasPrefix(bundlePrefix) {
            let directory = bundleDirectory + "/" + name
            if let owner = OCIBundle.owner(ofTemporaryBundle: directory) {
                guard !isLiveCinch(owner) else { continue }
            } else {
                let used = inUse ?? bundlesInUse()
                inUse = used
                guard let used, isAbandonedWithoutOwner(directory, inUse: used) else { continue }
            }
            OCIBundle.removeTemporaryBundle(directory)
            if !FileIO.exists(directory) { removed.append("bundle \(directory)") }
        }
        return removed
    }

    /// How old a temporary bundle without an `owner` file must be before it counts as abandoned.
    static let ownerlessGrace = 600.0

    /// Whether `directory`, a temporary bundle without an `owner` file, is abandoned: it holds only
    /// a `config.json` (or nothing), no container uses it, and it is older than ``ownerlessGrace``.
    static func isAbandonedWithoutOwner(_ directory: String, inUse: Set<String>) -> Bool {
        guard let entries = try? FileIO.directoryEntries(directory), Set(entries).isSubset(of: ["config.json"]),
            !inUse.contains(directory), let age = System.secondsSinceModified(directory), age > ownerlessGrace
        else { return false }
        return true
    }

    /// The bundle directories of every container any runtime cinch drives knows, cinch's or not;
    /// nil when a runtime's list cannot be read (then no ownerless bundle is safe to remove).
    static func bundlesInUse() -> Set<String>? {
        var bundles: Set<String> = []
        for runtime in ContainerRuntime.allCases {
            guard let containers = listed(runtime) else { return nil }
            bundles.formUnion(containers.map(\.bundle))
        }
        return bundles
    }

    /// cinch's containers a runtime knows: id `cinch-PID-N`, with the PID and the bundle.
    static func containers(of runtime: ContainerRuntime) -> [(id: String, owner: CInt, bundle: String)] {
        (listed(runtime) ?? []).compactMap { container in
            let parts = container.id.split(separator: "-")
            guard parts.count == 3, parts[0] == "cinch", let owner = CInt(parts[1]), Int(parts[2]) != nil else {
                return nil
            }
            return (container.id, owner, container.bundle)
        }
    }

    /// Every container `RUNTIME list` shows, with its bundle, or nil when the list cannot be read.
    static func listed(_ runtime: ContainerRuntime) -> [(id: String, bundle: String)]? {
        guard let listed = try? ProcessRunner.run([runtime.rawValue, "list", "--format", "json"]),
            listed.shellStatus == 0, let json = try? JSONParser.parse(listed.standardOutput)
        else { return nil }
        guard case .array(let entries) = json.value else { return [] }  // `null` when there are none.
        return entries.compactMap { node in
            guard let id = node.value[member: "id"]?.stringValue else { return nil }
            return (id, node.value[member: "bundle"]?.stringValue ?? "")
        }
    }

    /// Whether `pid` is a live cinch process (or cinch's test runner): it exists, is not a
    /// zombie (killed, not yet reaped), and its `comm` starts with `cinch`.
    static func isLiveCinch(_ pid: CInt) -> Bool {
        guard pid > 0, let stat = try? FileIO.read("/proc/\(pid)/stat", limit: 4096),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count,
            stat[close + 2] != UInt8(ascii: "Z"), stat[close + 2] != UInt8(ascii: "X"),
            let open = stat.firstIndex(of: UInt8(ascii: "("))
        else { return false }
        return String(decoding: stat[(open + 1)..<close], as: UTF8.self).hasPrefix("cinch")
    }
}
