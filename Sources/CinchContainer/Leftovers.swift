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
/// `comm` starts with `cinch`) still owns its container, and a bundle without an `owner` file is
/// not cinch's to remove.
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
        for name in names where name.hasPrefix(bundlePrefix) {
            let directory = bundleDirectory + "/" + name
            guard let owner = OCIBundle.owner(ofTemporaryBundle: directory), !isLiveCinch(owner) else { continue }
            OCIBundle.removeTemporaryBundle(directory)
            removed.append("bundle \(directory)")
        }
        return removed
    }

    /// cinch's containers a runtime knows: id `cinch-PID-N`, with the PID and the bundle.
    static func containers(of runtime: ContainerRuntime) -> [(id: String, owner: CInt, bundle: String)] {
        guard let listed = try? ProcessRunner.run([runtime.rawValue, "list", "--format", "json"]),
            listed.shellStatus == 0, let json = try? JSONParser.parse(listed.standardOutput),
            case .array(let entries) = json.value
        else { return [] }
        return entries.compactMap { node in
            let entry = node.value
            guard let id = entry[member: "id"]?.stringValue else { return nil }
            let parts = id.split(separator: "-")
            guard parts.count == 3, parts[0] == "cinch", let owner = CInt(parts[1]), Int(parts[2]) != nil else {
                return nil
            }
            return (id, owner, entry[member: "bundle"]?.stringValue ?? "")
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
