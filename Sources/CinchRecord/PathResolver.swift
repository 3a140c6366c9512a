// SPDX-License-Identifier: Apache-2.0
// A path as a traced process's kernel resolved it: against its dirfd, cwd and root, symlinks followed.

internal import CinchLinux

/// Resolves a path a tracee passed to a syscall the way its kernel did, as the tracee sees it.
///
/// The kernel resolves a relative path against the directory file descriptor (or the cwd), an
/// absolute one against the process's root, and follows symbolic links, absolute ones from that
/// root again. cinch runs outside the tracee's mount namespace, so it walks the path itself one
/// component at a time below `/proc/PID/root` (the kernel follows that magic link into the
/// tracee's root) and reads each symbolic link there, never letting the kernel follow a link
/// from cinch's own root. The `/proc/PID/cwd` and `/proc/PID/fd/N` links already read as the
/// tracee's paths: for a container, relative to its root.
///
/// The result is what AppArmor mediates: the resolved path in the tracee's mount namespace.
/// Components are raw bytes; nothing is interpreted beyond `/`, `.` and `..`.
struct PathResolver {
    /// The tracee.
    let pid: CInt
    /// The tracee's thread and process ids as its `/proc` numbers them, for `/proc/self` and
    /// `/proc/thread-self` (whose links name the reader, cinch, when cinch reads them).
    var ids: (thread: Int, process: Int)?
    /// The most symbolic links followed in one resolution (the kernel's limit), after which the
    /// path is taken as it stands.
    static let linkLimit = 40

    /// `AT_FDCWD`: resolve relative to the cwd.
    static let currentDirectory: Int32 = -100

    /// The directory `fd` of the tracee names (its cwd for ``currentDirectory``), or nil.
    func directory(_ fd: Int32) -> [UInt8]? {
        let link = fd == Self.currentDirectory ? "/proc/\(pid)/cwd" : "/proc/\(pid)/fd/\(fd)"
        guard let target = ProcessInspection.linkTarget(link), target.first == UInt8(ascii: "/") else { return nil }
        return target
    }

    /// The file `fd` of the tracee names, or nil (pipes, sockets, anonymous files have no path).
    func file(_ fd: Int32) -> [UInt8]? {
        guard fd >= 0, let target = ProcessInspection.linkTarget("/proc/\(pid)/fd/\(fd)"),
            target.first == UInt8(ascii: "/")
        else { return nil }
        return target
    }

    /// Whether the tracee's file `fd` is a directory.
    func isDirectory(fd: Int32) -> Bool {
        System.isDirectory("/proc/\(pid)/fd/\(fd)")
    }

    /// Resolves `path` (relative to `dirfd` when not absolute).
    ///
    /// - Parameters:
    ///   - followFinal: whether a symbolic link in the last component is followed (`open`
    ///     without `O_NOFOLLOW`, `execve`, `chmod`), or named itself (`unlink`, `rename`, `lstat`).
    /// - Returns: the absolute path without `.`, `..` or symbolic links (except a final one that is
    ///   not followed), or nil when the starting directory cannot be read.
    func resolve(_ path: [UInt8], relativeTo dirfd: Int32, followFinal: Bool) -> [UInt8]? {
        let slash = UInt8(ascii: "/")
        var resolved: [[UInt8]] = []
        if path.first != slash {
            guard let base = directory(dirfd) else { return nil }
            resolved = base.split(separator: slash).map(Array.init)
        }
        var pending = path.split(separator: slash).map(Array.init)
        pending.reverse()
        var links = 0
        let root = Array("/proc/\(pid)/root/".utf8)
        while let component = pending.popLast() {
            if component == [UInt8(ascii: ".")] { continue }
            if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                _ = resolved.popLast()
                continue
            }
            if resolved == [Array("proc".utf8)], let ids,
                component == Array("self".utf8) || component == Array("thread-self".utf8)
            {
                let own = component.count == 4 ? "\(ids.process)" : "\(ids.process)/task/\(ids.thread)"
                pending.append(contentsOf: own.utf8.split(separator: slash).map(Array.init).reversed())
                continue
            }
            resolved.append(component)
            let isLast = pending.isEmpty
            guard !isLast || followFinal, links < Self.linkLimit else { continue }
            let candidate = root + joined(resolved)
            guard ProcessInspection.kind(of: candidate) == .symlink,
                let target = ProcessInspection.linkTarget(candidate)
            else { continue }
            links += 1
            resolved.removeLast()
            if target.first == slash { resolved = [] }
            pending.append(contentsOf: target.split(separator: slash).map(Array.init).reversed())
        }
        return [slash] + joined(resolved)
    }

    private func joined(_ components: [[UInt8]]) -> [UInt8] {
        Array(components.joined(separator: [UInt8(ascii: "/")]))
    }
}
