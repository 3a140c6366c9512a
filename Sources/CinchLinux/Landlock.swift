// SPDX-License-Identifier: Apache-2.0
// Building a Landlock ruleset from a LandlockRuleset value and restricting a process with it.

internal import CCinchLinux
public import CinchModel
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Why a Landlock ruleset could not be built or applied.
public struct LandlockError: Error, Sendable, CustomStringConvertible {
    /// The errno of the failed call.
    public var errno: Errno
    /// A sentence saying what failed.
    public var message: String
    /// The message.
    public var description: String { message }
}

/// A Landlock ruleset in the kernel, ready to restrict a process: its descriptor, and notes on
/// what of the ``LandlockRuleset`` it does not enforce here. The descriptor is closed with the
/// last reference.
public final class PreparedLandlockRuleset: Sendable {
    /// The ruleset descriptor (close-on-exec).
    public let descriptor: CInt
    /// The kernel's Landlock ABI version.
    public let abi: Int
    /// What is not enforced, one sentence each: paths that do not exist, a file rule that found a
    /// directory, rights this kernel's ABI lacks.
    public let notes: [String]

    init(descriptor: CInt, abi: Int, notes: [String]) {
        self.descriptor = descriptor
        self.abi = abi
        self.notes = notes
    }

    deinit { close(descriptor) }
}

/// Landlock: unprivileged, stackable filesystem and TCP access control (Linux 5.13+).
public enum Landlock {
    /// The kernel's Landlock ABI version, or nil when Landlock is unavailable.
    /// The corresponding C function is `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`.
    public static var abiVersion: Int? {
        let version = cinch_landlock_abi()
        return version > 0 ? Int(version) : nil
    }

    /// Whether the kernel logs denials to the audit log after `execve` (ABI 7).
    public static func logsDenials(abi: Int) -> Bool { abi >= 7 }

    /// Creates the kernel ruleset for `ruleset`, opening each rule's path in this process's view
    /// of the filesystem.
    ///
    /// Only narrows: a path that does not exist or cannot be opened, that goes through a symbolic
    /// link, or a ``LandlockRuleset/Kind/file`` rule that finds a directory, grants nothing (a
    /// note says so). Rights this kernel's ABI lacks
    /// are neither handled nor granted (note), so they are not restricted.
    /// - Throws: ``LandlockError`` when Landlock is unavailable or the kernel rejects the ruleset.
    public static func prepare(_ ruleset: LandlockRuleset) throws(LandlockError) -> PreparedLandlockRuleset {
        guard let abi = abiVersion else {
            throw LandlockError(
                errno: Errno(rawValue: errno),
                message:
                    "Landlock is not available on this kernel (\(Errno(rawValue: errno))); nothing can be enforced.")
        }
        var notes: [String] = []
        let supported = LandlockRuleset.Access.supported(byABI: abi)
        let handled = ruleset.handledAccess.intersection(supported)
        let missing = ruleset.handledAccess.subtracting(supported)
        if !missing.isEmpty {
            notes.append(
                "Landlock ABI \(abi) cannot restrict \(missing.names.joined(separator: ", ")); those are not enforced.")
        }
        var network = ruleset.handledNetwork
        if abi < 4, !network.isEmpty {
            notes.append("Landlock ABI \(abi) cannot restrict TCP; TCP bind and connect are not enforced.")
            network = []
        }
        let descriptor = cinch_landlock_create_ruleset(handled.rawValue, network.rawValue)
        guard descriptor >= 0 else {
            let error = Errno(rawValue: errno)
            throw LandlockError(errno: error, message: "Could not create a Landlock ruleset: \(error).")
        }
        for rule in ruleset.rules {
            // Never through a symbolic link: AppArmor matches the path after links are resolved, so
            // a rule on a link's name names nothing, and following it (a link planted in a
            // container image) could grant a whole other hierarchy.
            let path = cinch_open_path(rule.path)
            guard path >= 0 else {
                let error = Errno(rawValue: errno)
                notes.append(
                    error == .tooManySymbolicLinkLevels
                        ? "\(rule.path) goes through a symbolic link; AppArmor matches paths with links resolved, so its rule grants nothing."
                        : "\(rule.path): \(error); its rule grants nothing.")
                continue
            }
            defer { close(path) }
            var info = stat()
            guard fstat(path, &info) == 0 else {
                notes.append("\(rule.path): \(Errno(rawValue: errno)); its rule grants nothing.")
                continue
            }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            var access = rule.access.intersection(handled)
            switch rule.kind {
            case .file where isDirectory:
                notes.append(
                    "\(rule.path) is a directory, but the profile names it as a file (no trailing /); its rule grants nothing."
                )
                continue
            case .beneath where !isDirectory:
                // A glob's directory that is a file here: only the file rights mean anything on it.
                access.formIntersection(.fileRights)
            default:
                break
            }
            guard !access.isEmpty else { continue }
            if cinch_landlock_add_path_rule(descriptor, path, access.rawValue) != 0 {
                let error = Errno(rawValue: errno)
                close(descriptor)
                throw LandlockError(errno: error, message: "Landlock rejected the rule for \(rule.path): \(error).")
            }
        }
        if !logsDenials(abi: abi) {
            notes.append("Landlock ABI \(abi) does not audit-log denials; a denied path cannot be named.")
        }
        return PreparedLandlockRuleset(descriptor: descriptor, abi: abi, notes: notes)
    }

    /// Restricts the calling thread, and every process it starts from now on, with `ruleset`;
    /// sets no_new_privs first unless the process has `CAP_SYS_ADMIN` (Landlock requires one of
    /// the two; no_new_privs also keeps set-user-ID programs from gaining privileges, so it is set
    /// only when needed). Denials are audit-logged also after `execve` where the ABI allows (7+).
    ///
    /// Call it only in a single-threaded process (the `cinch-landlock` helper): other threads
    /// stay unrestricted. `cinch run` restricts its child in ``Spawn/spawn(_:filter:traced:noNewPrivileges:landlock:)``.
    /// The corresponding C function is `landlock_restrict_self`.
    public static func restrictSelf(with ruleset: PreparedLandlockRuleset) throws(LandlockError) {
        if !Spawn.hasSysAdmin, cinch_set_no_new_privs() != 0 {
            let error = Errno(rawValue: errno)
            throw LandlockError(errno: error, message: "Could not set no_new_privs: \(error).")
        }
        let flags: CUnsignedInt = logsDenials(abi: ruleset.abi) ? CUnsignedInt(CINCH_LANDLOCK_LOG_NEW_EXEC_ON) : 0
        if cinch_landlock_restrict_self(ruleset.descriptor, flags) != 0 {
            let error = Errno(rawValue: errno)
            throw LandlockError(errno: error, message: "Could not restrict this process with Landlock: \(error).")
        }
    }
}
