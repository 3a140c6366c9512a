// SPDX-License-Identifier: Apache-2.0
// What the workload touched: files, programs, libraries and sockets, from the syscalls that name them.

internal import CinchLinux
internal import CinchModel
internal import CinchSeccomp
internal import SystemPackage

/// Observes the objects a traced workload uses, for AppArmor and Landlock rules.
///
/// Only the syscalls that name an object stop for it (``objectSyscalls``; the recording filter
/// never allows them silently). At the seccomp stop the observer reads the arguments (path
/// strings from the tracee's memory, socket addresses); when the result matters it asks for the
/// same syscall's exit stop (`PTRACE_SYSCALL`), reads the result there, and resolves the path the
/// way the kernel did (``PathResolver``): an `open` that succeeded is named by its new file
/// descriptor's `/proc` link, which is exactly the path the kernel opened.
///
/// Accesses count from the exec boundary on (the task's first `execve` under the recording, or a
/// task forked after it): what a container runtime does before it runs the entrypoint is not
/// mediated by the container's AppArmor profile either. The `execve` that crosses the boundary is
/// recorded (the program needs `x`).
struct ObjectObserver {
    /// What one object syscall does with its arguments.
    enum Call: Sendable {
        /// `open`-like: path argument, dirfd argument (nil: the cwd), flags argument or fixed flags.
        case open(dirfd: Int?, path: Int, flags: Int?, fixedFlags: UInt64, flagsInStruct: Bool)
        /// `execve`, `execveat`.
        case exec(dirfd: Int?, path: Int, flags: Int?)
        /// One path changed: the letters it needs, whether a final symlink is followed, whether the
        /// object is a directory, and an `AT_*` flags argument that can change either.
        case path(dirfd: Int?, path: Int, letters: String, follows: Bool, directory: Bool, flags: Int?)
        /// `rename*` (source loses its name, target gets it) and `link*` (target gets `l`).
        case twoPaths(oldDirfd: Int?, old: Int, newDirfd: Int?, new: Int, isLink: Bool)
        /// `symlink*`: creates the link path.
        case symlink(newDirfd: Int?, new: Int)
        /// An operation on an open file descriptor: `fchmod`, `fchown`, `flock`.
        case descriptor(fd: Int, letters: String)
        /// `fcntl`: only the lock commands matter.
        case fcntl
        /// `mmap`: only executable mappings of a file matter.
        case mmap
        /// `socket`.
        case socket
        /// `bind` or `connect`.
        case address(operation: String)
    }

    /// The syscalls the observer needs to see, by name.
    static let objectSyscalls: [String: Call] = [
        "open": .open(dirfd: nil, path: 0, flags: 1, fixedFlags: 0, flagsInStruct: false),
        "openat": .open(dirfd: 0, path: 1, flags: 2, fixedFlags: 0, flagsInStruct: false),
        "openat2": .open(dirfd: 0, path: 1, flags: 2, fixedFlags: 0, flagsInStruct: true),
        "creat": .open(dirfd: nil, path: 0, flags: nil, fixedFlags: 0o1101, flagsInStruct: false),
        "execve": .exec(dirfd: nil, path: 0, flags: nil),
        "execveat": .exec(dirfd: 0, path: 1, flags: 4),
        "unlink": .path(dirfd: nil, path: 0, letters: "d", follows: false, directory: false, flags: nil),
        "unlinkat": .path(dirfd: 0, path: 1, letters: "d", follows: false, directory: false, flags: 2),
        "rmdir": .path(dirfd: nil, path: 0, letters: "d", follows: false, directory: true, flags: nil),
        "mkdir": .path(dirfd: nil, path: 0, letters: "c", follows: false, directory: true, flags: nil),
        "mkdirat": .path(dirfd: 0, path: 1, letters: "c", follows: false, directory: true, flags: nil),
        "mknod": .path(dirfd: nil, path: 0, letters: "c", follows: false, directory: false, flags: nil),
        "mknodat": .path(dirfd: 0, path: 1, letters: "c", follows: false, directory: false, flags: nil),
        "chmod": .path(dirfd: nil, path: 0, letters: "w", follows: true, directory: false, flags: nil),
        "fchmodat": .path(dirfd: 0, path: 1, letters: "w", follows: true, directory: false, flags: nil),
        "fchmodat2": .path(dirfd: 0, path: 1, letters: "w", follows: true, directory: false, flags: 3),
        "chown": .path(dirfd: nil, path: 0, letters: "w", follows: true, directory: false, flags: nil),
        "lchown": .path(dirfd: nil, path: 0, letters: "w", follows: false, directory: false, flags: nil),
        "fchownat": .path(dirfd: 0, path: 1, letters: "w", follows: true, directory: false, flags: 4),
        "truncate": .path(dirfd: nil, path: 0, letters: "w", follows: true, directory: false, flags: nil),
        "rename": .twoPaths(oldDirfd: nil, old: 0, newDirfd: nil, new: 1, isLink: false),
        "renameat": .twoPaths(oldDirfd: 0, old: 1, newDirfd: 2, new: 3, isLink: false),
        "renameat2": .twoPaths(oldDirfd: 0, old: 1, newDirfd: 2, new: 3, isLink: false),
        "link": .twoPaths(oldDirfd: nil, old: 0, newDirfd: nil, new: 1, isLink: true),
        "linkat": .twoPaths(oldDirfd: 0, old: 1, newDirfd: 2, new: 3, isLink: true),
        "symlink": .symlink(newDirfd: nil, new: 1),
        "symlinkat": .symlink(newDirfd: 1, new: 2),
        "fchmod": .descriptor(fd: 0, letters: "w"),
        "fchown": .descriptor(fd: 0, letters: "w"),
        "flock": .descriptor(fd: 0, letters: "k"),
        "fcntl": .fcntl,
        "mmap": .mmap,
        "socket": .socket,
        "bind": .address(operation: "bind"),
        "connect": .address(operation: "connect"),
    ]

    /// The calls keyed by `auditArch << 32 | number`, on every ABI the recording covers.
    let calls: [UInt64: Call]

    /// What an entry stop left for the exit stop of the same syscall.
    struct Pending {
        var call: Call
        var arguments: [UInt64]
        /// Path bytes read at entry, by argument index.
        var paths: [Int: [UInt8]]
        /// For `open` with `O_CREAT`: whether the file existed before the call.
        var existedBefore: Bool?
        /// For `bind` and `connect`: the decoded address.
        var endpoint: Trace.SocketEndpoint?
        /// For `bind` and `connect` of a unix socket with a path: the path bytes.
        var unixPath: [UInt8]?
        /// For `openat2`: the flags from its `struct open_how`.
        var howFlags: UInt64?
    }

    var pending: [CInt: Pending] = [:]

    var files: [String: Set<Character>] = [:]
    var failedFiles: [String: Trace.FailedAccess] = [:]
    var processFiles: [String: Set<Character>] = [:]
    var threadFiles: [String: Set<Character>] = [:]
    var network: Set<Trace.NetworkAccess> = []
    var sockets: Set<Trace.SocketEndpoint> = []
    /// The workload's own process and thread ids as its `/proc` shows them, per traced task.
    var namespaceIDs: [CInt: (thread: Int, process: Int)] = [:]

    init() {
        var calls: [UInt64: Call] = [:]
        for abi in RecordingFilter.coveredABIs(native: SyscallResolver.native) {
            for (name, call) in Self.objectSyscalls {
                guard case .number(let number) = SyscallResolver.resolve(name, on: abi) else { continue }
                calls[UInt64(abi.auditArch) << 32 | UInt64(UInt32(bitPattern: number))] = call
            }
        }
        self.calls = calls
    }

    // MARK: - Entry

    /// Handles the seccomp stop of syscall `key` in task `pid`; returns whether the tracer must
    /// resume it with `PTRACE_SYSCALL` to see the result.
    ///
    /// - Parameter boundaryOnly: the task has not crossed the exec boundary: only `execve` counts.
    mutating func enter(pid: CInt, key: UInt64, boundaryOnly: Bool) -> Bool {
        guard let call = calls[key] else { return false }
        if boundaryOnly {
            guard case .exec = call else { return false }
        }
        guard let info = try? Ptrace.syscallInfo(pid) else { return false }
        let arguments = info.arguments
        var entry = Pending(call: call, arguments: arguments, paths: [:])
        func readPath(_ index: Int) -> Bool {
            guard let bytes = ProcessInspection.string(pid, at: arguments[index]) else { return false }
            entry.paths[index] = bytes
            return true
        }
        switch call {
        case .open(let dirfd, let path, let flagsIndex, _, let inStruct):
            guard readPath(path) else { return false }
            if inStruct, let flagsIndex {
                guard let how = ProcessInspection.read(pid, at: arguments[flagsIndex], count: 8), how.count == 8 else {
                    return false
                }
                entry.howFlags = how.reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            if openFlags(entry) & Self.oCreate != 0 {
                let resolver = resolver(for: pid)
                let base = dirfd.map { Self.descriptor(arguments[$0]) } ?? PathResolver.currentDirectory
                if let resolved = resolver.resolve(entry.paths[path] ?? [], relativeTo: base, followFinal: true) {
                    entry.existedBefore = ProcessInspection.kind(of: Array("/proc/\(pid)/root".utf8) + resolved) != nil
                }
            }
        case .exec(_, let path, _):
            guard readPath(path) else { return false }
        case .path(_, let path, _, _, _, _):
            guard readPath(path) else { return false }
        case .twoPaths(_, let old, _, let new, _):
            guard readPath(old), readPath(new) else { return false }
        case .symlink(_, let new):
            guard readPath(new) else { return false }
        case .descriptor(let fd, let letters):
            record(pid: pid, resolver(for: pid).file(Self.descriptor(arguments[fd])), letters: letters)
            return false
        case .fcntl:
            // F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW take a lock.
            guard [6, 7, 37, 38].contains(arguments[1] & 0xFFFF_FFFF) else { return false }
            record(pid: pid, resolver(for: pid).file(Self.descriptor(arguments[0])), letters: "k")
            return false
        case .mmap:
            // PROT_EXEC of a file (not MAP_ANONYMOUS): a library or program mapped executable.
            guard arguments[2] & 0x4 != 0, arguments[3] & 0x20 == 0 else { return false }
            record(pid: pid, resolver(for: pid).file(Self.descriptor(arguments[4])), letters: "m")
            return false
        case .socket:
            let family = Int(arguments[0] & 0xFFFF_FFFF)
            let type = Int(arguments[1] & 0xF)
            network.insert(
                Trace.NetworkAccess(
                    family: SocketNames.family(family), socketType: SocketNames.type(type),
                    protocolNumber: Int(Int32(truncatingIfNeeded: arguments[2]))))
            return false
        case .address(let operation):
            let length = Int(min(arguments[2] & 0xFFFF_FFFF, 128))
            guard let bytes = ProcessInspection.read(pid, at: arguments[1], count: length),
                let decoded = SocketNames.endpoint(operation: operation, address: bytes)
            else { return false }
            entry.endpoint = decoded.endpoint
            entry.unixPath = decoded.unixPath
        }
        pending[pid] = entry
        return true
    }

    // MARK: - Exit

    /// Handles the exit stop (or, for `execve`, the exec event) of the pending syscall of `pid`.
    mutating func exit(pid: CInt, result: Ptrace.SyscallResult) {
        guard let entry = pending.removeValue(forKey: pid) else { return }
        // 512…516 are the kernel's restart codes: the call runs again and stops again.
        if result.isError, (512...516).contains(-result.value) { return }
        let resolver = resolver(for: pid)
        let arguments = entry.arguments
        func base(_ index: Int?) -> Int32 {
            index.map { Self.descriptor(arguments[$0]) } ?? PathResolver.currentDirectory
        }
        func resolved(_ dirfd: Int?, _ path: Int, follows: Bool) -> [UInt8]? {
            guard let bytes = entry.paths[path] else { return nil }
            return resolver.resolve(bytes, relativeTo: base(dirfd), followFinal: follows)
        }
        let failure = result.error.map(ErrnoNames.name)
        switch entry.call {
        case .open(let dirfd, let path, _, _, _):
            let flags = openFlags(entry)
            if flags & Self.oPath != 0 { return }  // O_PATH opens are not mediated.
            var letters = Self.letters(openFlags: flags)
            if flags & Self.oCreate != 0, entry.existedBefore == false { letters.insert("c") }
            if failure == nil, result.value >= 0 {
                let fd = Int32(truncatingIfNeeded: result.value)
                var name = resolver.file(fd)
                // Only a read-only open can name a directory; O_DIRECTORY says so without a stat.
                if name != nil, flags & 0o3 == 0, flags & Self.oDirectory != 0 || resolver.isDirectory(fd: fd) {
                    name = Self.asDirectory(name)
                }
                record(pid: pid, name, letters: String(letters))
            } else {
                let follows = flags & Self.oNoFollow == 0
                record(pid: pid, resolved(dirfd, path, follows: follows), letters: String(letters), failure: failure)
            }
        case .exec(let dirfd, let path, let flagsIndex):
            let emptyPath = flagsIndex.map { arguments[$0] & 0x1000 != 0 } ?? false  // AT_EMPTY_PATH
            let name =
                emptyPath && entry.paths[path]?.isEmpty == true
                ? resolver.file(base(dirfd)) : resolved(dirfd, path, follows: true)
            record(pid: pid, name, letters: "x", failure: failure)
        case .path(let dirfd, let path, let letters, var follows, var directory, let flagsIndex):
            if let flagsIndex {
                let flags = arguments[flagsIndex]
                if letters == "d", flags & 0x200 != 0 { directory = true }  // AT_REMOVEDIR
                if letters == "w", flags & 0x100 != 0 { follows = false }  // AT_SYMLINK_NOFOLLOW
            }
            var name = resolved(dirfd, path, follows: follows)
            if directory { name = Self.asDirectory(name) }
            record(pid: pid, name, letters: letters, failure: failure)
        case .twoPaths(let oldDirfd, let old, let newDirfd, let new, let isLink):
            if isLink {
                record(pid: pid, resolved(newDirfd, new, follows: false), letters: "l", failure: failure)
            } else {
                record(pid: pid, resolved(oldDirfd, old, follows: false), letters: "rwd", failure: failure)
                record(pid: pid, resolved(newDirfd, new, follows: false), letters: "wc", failure: failure)
            }
        case .symlink(let newDirfd, let new):
            record(pid: pid, resolved(newDirfd, new, follows: false), letters: "wc", failure: failure)
        case .address:
            guard var endpoint = entry.endpoint else { return }
            if let unixPath = entry.unixPath {
                // A unix socket with a path is a file: binding creates it, connecting writes to it.
                let letters = endpoint.operation == "bind" ? "wc" : "w"
                let name = resolver.resolve(unixPath, relativeTo: base(nil), followFinal: endpoint.operation != "bind")
                record(pid: pid, name, letters: letters, failure: failure)
                if let name { endpoint.address = String(decoding: name, as: UTF8.self) }
            }
            if failure == nil || failure == "EINPROGRESS" { sockets.insert(endpoint) }
        case .descriptor, .fcntl, .mmap, .socket:
            break
        }
    }

    /// Forgets a task's pending syscall (it died before the exit stop).
    mutating func forget(_ pid: CInt) {
        pending[pid] = nil
        namespaceIDs[pid] = nil
    }

    /// Moves a pending syscall to the pid a non-leader thread takes over at exec.
    mutating func move(from former: CInt, to pid: CInt) {
        if let entry = pending.removeValue(forKey: former) { pending[pid] = entry }
    }

    // MARK: - Recording

    /// Records `letters` for the resolved path `bytes`, as a success or as a failure.
    mutating func record(pid: CInt, _ bytes: [UInt8]?, letters: String, failure: String? = nil) {
        guard let bytes, !letters.isEmpty else { return }
        let path = String(decoding: bytes, as: UTF8.self)
        let access = Set(letters)
        if let failure {
            let entry = Trace.FailedAccess(access: access, errors: [failure])
            failedFiles[path] = failedFiles[path].map { $0.union(entry) } ?? entry
            return
        }
        switch ownProcessPath(path, pid: pid) {
        case .process(let relative): processFiles[relative, default: []].formUnion(access)
        case .thread(let relative): threadFiles[relative, default: []].formUnion(access)
        case nil: files[path, default: []].formUnion(access)
        }
    }

    enum OwnPath {
        case process(String)
        case thread(String)
    }

    /// `/proc/N/REST` where N is one of the workload's processes (as its `/proc` numbers them),
    /// as REST; `/proc/N/task/T/REST` as a thread path.
    mutating func ownProcessPath(_ path: String, pid: CInt) -> OwnPath? {
        guard path.hasPrefix("/proc/") else { return nil }
        let parts = path.utf8.dropFirst(6).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard let first = parts.first, let number = Int(String(decoding: first, as: UTF8.self)) else { return nil }
        let ids = workloadIDs(including: pid)
        guard ids.processes.contains(number) || ids.threads.contains(number) else { return nil }
        let rest = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        if rest.count >= 3, rest[0] == "task", let thread = Int(rest[1]), ids.threads.contains(thread) {
            return .thread(rest.dropFirst(2).joined(separator: "/"))
        }
        return .process(rest.joined(separator: "/"))
    }

    /// The workload's ids as its `/proc` shows them: the traced tasks' innermost-namespace ids.
    mutating func workloadIDs(including pid: CInt) -> (processes: Set<Int>, threads: Set<Int>) {
        if namespaceIDs[pid] == nil, let ids = ProcessInspection.namespaceIDs(of: pid) { namespaceIDs[pid] = ids }
        return (Set(namespaceIDs.values.map(\.process)), Set(namespaceIDs.values.map(\.thread)))
    }

    /// A resolver for task `pid`, which knows the task's own `/proc` numbers.
    mutating func resolver(for pid: CInt) -> PathResolver {
        if namespaceIDs[pid] == nil, let ids = ProcessInspection.namespaceIDs(of: pid) { namespaceIDs[pid] = ids }
        return PathResolver(pid: pid, ids: namespaceIDs[pid])
    }

    /// Notes the namespace ids of a task that joined the workload.
    mutating func noteTask(_ pid: CInt) {
        if let ids = ProcessInspection.namespaceIDs(of: pid) { namespaceIDs[pid] = ids }
    }

    /// Fills the trace's object members and marks them observed.
    func fill(_ trace: inout Trace) {
        trace.files.merge(files) { $0.union($1) }
        trace.failedFiles.merge(failedFiles) { $0.union($1) }
        trace.processFiles.merge(processFiles) { $0.union($1) }
        trace.threadFiles.merge(threadFiles) { $0.union($1) }
        trace.network.formUnion(network)
        trace.sockets.formUnion(sockets)
        trace.observed.formUnion([.files, .network])
    }

    // MARK: - Flags

    static let oCreate: UInt64 = 0o100
    static let oNoFollow: UInt64 = 0o400000
    static let oPath: UInt64 = 0o10000000
    static let oDirectory: UInt64 = 0o200000

    func openFlags(_ entry: Pending) -> UInt64 {
        guard case .open(_, _, let flagsIndex, let fixed, let inStruct) = entry.call else { return 0 }
        guard let flagsIndex else { return fixed }
        if inStruct { return entry.howFlags ?? 0 }  // openat2: read from its struct open_how at entry.
        return entry.arguments[flagsIndex] & 0xFFFF_FFFF
    }

    /// Access letters for `open` flags: the access mode, append, truncate.
    static func letters(openFlags flags: UInt64) -> Set<Character> {
        var letters: Set<Character> = []
        switch flags & 0o3 {
        case 0: letters.insert("r")
        case 1: letters.insert(flags & 0o2000 != 0 ? "a" : "w")
        default:
            letters.insert("r")
            letters.insert(flags & 0o2000 != 0 ? "a" : "w")
        }
        if flags & 0o1000 != 0 { letters.insert("w") }  // O_TRUNC
        return letters
    }

    /// A file descriptor argument (32 bits, sign-extended: `AT_FDCWD` is -100 on every ABI).
    static func descriptor(_ value: UInt64) -> Int32 { Int32(truncatingIfNeeded: value) }

    /// A directory path ends with `/`, as AppArmor writes directories.
    static func asDirectory(_ bytes: [UInt8]?) -> [UInt8]? {
        guard let bytes else { return nil }
        return bytes.last == UInt8(ascii: "/") ? bytes : bytes + [UInt8(ascii: "/")]
    }
}

/// Names the kernel's socket numbers the way AppArmor and traces spell them.
enum SocketNames {
    /// `AF_*` numbers 1…45 by AppArmor name (index = number).
    static let families = [
        "", "unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25", "inet6", "rose",
        "decnet", "netbeui", "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds", "sna", "irda",
        "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv", "rxrpc", "isdn", "phonet",
        "ieee802154", "caif", "alg", "nfc", "vsock", "kcm", "qipcrtr", "smc", "xdp", "mctp",
    ]

    /// The family's name, or `family-N` for a number AppArmor has no name for.
    static func family(_ number: Int) -> String {
        number > 0 && number < families.count ? families[number] : "family-\(number)"
    }

    /// `SOCK_*` type names (the low 4 bits of the type argument).
    static func type(_ number: Int) -> String {
        switch number {
        case 1: "stream"
        case 2: "dgram"
        case 3: "raw"
        case 4: "rdm"
        case 5: "seqpacket"
        case 6: "dccp"
        case 10: "packet"
        default: ""
        }
    }

    /// Decodes a `struct sockaddr` of `bind` or `connect`: inet and inet6 with their port, unix with
    /// its path (returned separately, to be resolved) or abstract name (`@` and its bytes).
    static func endpoint(operation: String, address bytes: [UInt8]) -> (
        endpoint: Trace.SocketEndpoint, unixPath: [UInt8]?
    )? {
        guard bytes.count >= 2 else { return nil }
        let family = Int(bytes[0]) | Int(bytes[1]) << 8
        switch family {
        case 1:
            let path = Array(bytes.dropFirst(2))
            if path.first == 0 {
                let name = path.dropFirst()
                return (
                    Trace.SocketEndpoint(
                        operation: operation, family: "unix", address: "@" + String(decoding: name, as: UTF8.self)), nil
                )
            }
            let end = path.firstIndex(of: 0) ?? path.count
            guard end > 0 else { return nil }  // An unnamed socket (autobind).
            let name = Array(path[0..<end])
            return (
                Trace.SocketEndpoint(
                    operation: operation, family: "unix", address: String(decoding: name, as: UTF8.self)), name
            )
        case 2:
            guard bytes.count >= 8 else { return nil }
            let port = Int(bytes[2]) << 8 | Int(bytes[3])
            let address = bytes[4..<8].map { String($0) }.joined(separator: ".")
            return (Trace.SocketEndpoint(operation: operation, family: "inet", address: address, port: port), nil)
        case 10:
            guard bytes.count >= 24 else { return nil }
            let port = Int(bytes[2]) << 8 | Int(bytes[3])
            return (
                Trace.SocketEndpoint(
                    operation: operation, family: "inet6", address: ipv6(Array(bytes[8..<24])), port: port), nil
            )
        default:
            return nil
        }
    }

    /// An IPv6 address in its shortest text form (RFC 5952: the longest run of zero groups as `::`).
    static func ipv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > best.length, index - start > 1 { best = (start, index - start) }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return text.joined(separator: ":") }
        let head = text[0..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// The names of the errno values a file or socket syscall returns.
enum ErrnoNames {
    static let names: [CInt: String] = [
        1: "EPERM", 2: "ENOENT", 5: "EIO", 6: "ENXIO", 8: "ENOEXEC", 9: "EBADF", 12: "ENOMEM", 13: "EACCES",
        16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
        23: "ENFILE", 24: "EMFILE", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 30: "EROFS", 31: "EMLINK",
        36: "ENAMETOOLONG", 39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
        99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 115: "EINPROGRESS",
    ]

    /// `ENOENT`, or `errno N` for a value not in the table.
    static func name(_ error: Errno) -> String { names[error.rawValue] ?? "errno \(error.rawValue)" }
}
