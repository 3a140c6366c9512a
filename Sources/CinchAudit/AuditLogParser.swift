// SPDX-License-Identifier: Apache-2.0
// Streaming, byte-level parser of kernel audit records (auditd, dmesg, syslog, journal) into a trace.

public import CinchModel
internal import CinchSeccomp

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Turns kernel audit records into a ``Trace``: `SECCOMP` records into syscalls per ABI, AppArmor
/// `AVC` records into files, network and capabilities.
///
/// The parser aggregates as it goes (counts per ABI and syscall number, interned executables),
/// so its memory depends on how many distinct things the workload did, not on the log's size.
/// Feed it whole inputs with ``parse(_:file:)`` or ``ingest(path:)``, then call
/// ``makeTrace(logs:)``.
///
/// ## Format
///
/// One record per line, in any of these shapes:
///
/// - auditd: `type=SECCOMP msg=audit(1732410000.123:4567): auid=… pid=1234 … arch=c000003e
///   syscall=257 compat=0 ip=0x… code=0x7ffc0000`, optionally preceded by `node=NAME ` and
///   followed by auditd's "enriched" part after a 0x1D byte (`ARCH=x86_64 SYSCALL=openat`, ignored).
/// - kernel, as `dmesg` prints it: `audit: type=1326 audit(1732410000.123:4567): …` at the start
///   of the line, with or without the kernel's `[   12.345678] ` time stamp.
/// - syslog and the journal: a header whose tag is the kernel's own, then the same message (the
///   time stamp may stay), such as
///   `Nov 24 01:02:03 host kernel: [   12.345678] audit: type=1326 audit(…): …`.
///
/// Record types: `SECCOMP` (1326), `AVC` (1400) with `apparmor=`, and `SYSCALL` (1300) for
/// following children of `--pid`. Other types count for serial tracking only: among them the
/// user records (`USER_AVC`, `USER_*`, 1100-1199 and 2100-2999) that programs send through the
/// kernel, whatever their `msg='…'` says.
///
/// ## Trust
///
/// Only lines the kernel wrote count. auditd's log holds nothing else, and a program's record in
/// it carries the program's type. In kernel logs, a line counts only in the kernel's own form
/// (above): another program's syslog tag (`logger`'s `nobody:`), a journal continuation line,
/// another kernel subsystem's message quoting `audit: type=`, or auditd's form after kernel
/// lines is counted in ``AuditLogStatistics/untrustedLines`` and ignored. The
/// same holds for the kernel's messages about dropped records. A program that names itself
/// `kernel` in syslog cannot be told apart (see docs/audit.md).
///
/// ## Parsing behavior
///
/// - `exe=`, `comm=` and `name=` are either quoted or hex-encoded (the kernel's form for values
///   with spaces, quotes or non-ASCII bytes); both decode to the same path.
/// - A `SECCOMP` record's ABI comes from `arch=` (`AUDIT_ARCH_*`) and its number, so an i386
///   compat call (`arch=40000003`) is named from the i386 table and an x32 call (x86_64 arch,
///   bit 30 set) from the x32 table.
/// - Loss is never silent: a gap in a stream's serial numbers counts the missing records (serials
///   up to 256 behind may arrive late and are not counted); kernel messages about dropped records
///   (`audit: rate limit exceeded`, `backlog limit exceeded`, `printk limit exceeded`, `kauditd
///   hold queue overflow`, `audit_lost=N`, `kauditd_printk_skb: N callbacks suppressed`) are
///   counted when they sit next to a record inside the time window. auditd's own `DAEMON_*`
///   records have their own numbering and are not tracked. Each input, and each `node=` in it, is
///   its own stream.
/// - Malformed lines throw an ``InputError`` naming the file and line, or with `isLenient` are
///   counted and skipped. Malformed means: a line that starts like an audit record whose header
///   (`msg=audit(SECONDS.MILLIS:SERIAL):`) does not parse; a `SECCOMP` record without `pid=`,
///   `arch=` or `syscall=`, or without the `compat=` that follows `syscall=` (a cut line); and,
///   in a stream that began with auditd lines, any other non-empty line. Other lines of syslog
///   or dmesg input are ignored (counted as foreign, or as untrusted when they look like records).
public struct AuditLogParser {
    /// Which records to take.
    public var selection: AuditSelection
    /// Skip malformed lines (counting them) instead of throwing.
    public var isLenient: Bool
    /// What has been read so far.
    public internal(set) var statistics = AuditLogStatistics()
    /// Regular files at least this large are shared by two threads (see ``ingest(path:)``).
    public var parallelMinimumBytes = 32 << 20
    /// How many segments a shared file is cut into: enough that a thread that falls behind (a
    /// busy core) costs little at the end, few enough that merging costs nothing.
    public var parallelSegmentCount = 32

    // MARK: - Aggregates (bounded by what the workload did, not by log size)

    struct SyscallCount {
        var count: UInt64
        var executable: Int32
    }

    /// Counts keyed by `auditArch << 32 | number`.
    var counts = AuditCountTable()
    var executables = AuditInterner()
    /// Per executable id: whether `--exe` selects it, and whether a taken record used it.
    var executableSelected: [Bool] = []
    var executableUsed: [Bool] = []
    var pidsSeen = AuditPidSet()
    var fileNames = AuditInterner()
    /// Per file id: AppArmor access letters as bits of ``accessLetters``.
    var fileAccess: [UInt16] = []
    /// Per file id: whether the name is a path (starts with `/`), decided once when it is first seen.
    var fileIsPath: [Bool] = []
    var trackedPids: Set<Int32>
    /// With ``AuditSelection/pids``: the hosts (`node=` values; empty for none) whose records
    /// matched a selected process. More than one means the pids are ambiguous.
    var pidMatchedNodes = Set<[UInt8]>()
    /// The `node=` of the record being parsed.
    var currentNode: Range<Int>?
    var executablePids: Set<Int32> = []
    /// Per executable id: whether it is `/`, what a container runtime's own records carry after
    /// it installs the log filter and before it executes the workload.
    var executableIsRuntime: [Bool] = []
    /// With ``AuditSelection/executables``: counts of records with `exe="/"`, per pid, kept aside
    /// until the pid turns out to execute a selected executable (``runtimeRecords``).
    var runtimeCounts: [Int32: [UInt64: UInt64]] = [:]
    var execNames: Set<String> = []
    var network: Set<Trace.NetworkAccess> = []
    var capabilities: Set<String> = []
    var forkNames: [UInt64: Bool] = [:]

    // MARK: - Per-stream state

    var file = "-"
    var lineNumber = 0
    var isAuditdStream = false
    var sawRecord = false
    var tracker = SerialTracker()
    var nodeTrackers: [[UInt8]: SerialTracker] = [:]
    var lastRecordInWindow = true
    var pendingLoss = PendingLoss()

    struct PendingLoss {
        var messages = 0
        var suppressed = 0
        var lost: UInt64?
        var isPending: Bool { messages > 0 || suppressed > 0 || lost != nil }

        /// Both sets of held messages.
        func adding(_ other: PendingLoss) -> PendingLoss {
            let lost = lost.map { max($0, other.lost ?? 0) } ?? other.lost
            return PendingLoss(
                messages: messages + other.messages, suppressed: suppressed + other.suppressed, lost: lost)
        }
    }

    // MARK: - Segment state (a parser that starts in the middle of a file)

    /// Set on the parser of a later segment of a file: what depends on the lines before it is
    /// kept aside for ``absorb(_:)`` instead of being decided.
    var isContinuation = false
    /// Loss messages held before this segment's first record (nil until that record).
    var leadingLoss: PendingLoss?
    /// Whether this segment's first record was inside the time window.
    var firstRecordInWindow = false
    /// The first serials of this segment's stream without `node=`, in order, to replay on the
    /// tracker of what precedes it; and of each `node=` stream.
    var head: [UInt64] = []
    var nodeHeads: [[UInt8]: [UInt64]] = [:]
    /// Whether more serials came than ``headLimit`` (the head is then not the whole stream).
    var headOverflowed = false
    var nodeHeadsOverflowed: Set<[UInt8]> = []
    /// How many serials a head keeps: far more than the tracker needs to line up with the
    /// preceding parser's (within ``SerialTracker/window`` records in all but contrived logs).
    static let headLimit = 4096

    /// Creates a parser.
    public init(selection: AuditSelection = AuditSelection(), isLenient: Bool = false) {
        self.selection = selection
        self.isLenient = isLenient
        self.trackedPids = selection.pids
    }

    // MARK: - Input

    /// Parses one whole input held in memory (tests, small logs).
    ///
    /// - Throws: ``InputError`` naming `file` and the line of the first malformed line, unless
    ///   ``isLenient``.
    public mutating func parse(_ bytes: [UInt8], file: String) throws(InputError) {
        beginStream(file: file)
        var result: Result<Void, InputError> = .success(())
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            do throws(InputError) {
                let used = try consume(base, count: buffer.count, isEnd: true)
                precondition(used == buffer.count)
            } catch {
                result = .failure(error)
            }
        }
        try result.get()
        endStream()
    }

    /// Starts a new input: line numbers and serial tracking restart.
    mutating func beginStream(file: String) {
        self.file = file
        lineNumber = 0
        isAuditdStream = false
        sawRecord = false
        tracker = SerialTracker()
        nodeTrackers = [:]
        lastRecordInWindow = selection.since == nil && selection.until == nil
        pendingLoss = PendingLoss()
    }

    /// Ends the current input, counting serials that never arrived.
    mutating func endStream() {
        statistics.missingSerials += tracker.finish()
        for key in nodeTrackers.keys { statistics.missingSerials += nodeTrackers[key]?.finish() ?? 0 }
        nodeTrackers = [:]
    }

    /// Parses every complete line in `base[0..<count]` and returns how many bytes it used; with
    /// `isEnd`, a last line without a newline is parsed too.
    mutating func consume(_ base: UnsafePointer<UInt8>, count: Int, isEnd: Bool) throws(InputError) -> Int {
        var start = 0
        while start < count {
            guard let found = memchr(base + start, CInt(UInt8(ascii: "\n")), count - start) else { break }
            let newline = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            if newline - start >= Self.bufferSize {
                try longLine()
            } else {
                try parseLine(AuditLine(base: base + start, count: newline - start), isTerminated: true)
            }
            start = newline + 1
        }
        if isEnd, start < count {
            if count - start >= Self.bufferSize {
                try longLine()
            } else {
                try parseLine(AuditLine(base: base + start, count: count - start), isTerminated: false)
            }
            start = count
        }
        return start
    }

    /// A line of ``bufferSize`` bytes or more, which no audit record is, whether the input is
    /// read through the buffer or mapped.
    mutating func longLine() throws(InputError) {
        lineNumber += 1
        statistics.lines += 1
        try malformed("a line longer than \(Self.bufferSize) bytes", isTerminated: true)
    }

    // MARK: - Lines

    /// Record types the parser looks into.
    enum RecordType {
        case seccomp, avc, syscall, daemon, other
    }

    mutating func parseLine(_ raw: AuditLine, isTerminated: Bool) throws(InputError) {
        lineNumber += 1
        statistics.lines += 1
        statistics.bytes += raw.count + (isTerminated ? 1 : 0)
        var line = raw
        if line.count > 0, line[line.count - 1] == UInt8(ascii: "\r") {
            line = AuditLine(base: line.base, count: line.count - 1)
        }
        if line.count == 0 { return }
        // The most common auditd lines, recognised by a few word compares; the general path below
        // gives the same result for them.
        if isAuditdStream {
            if line.has("type=SECCOMP msg=audit(", at: 0) {
                return try parseRecord(line, type: .seccomp, headerAt: 23, node: nil, isTerminated: isTerminated)
            }
            if line.has("type=AVC msg=audit(", at: 0) {
                return try parseRecord(line, type: .avc, headerAt: 19, node: nil, isTerminated: isTerminated)
            }
            if line.has("type=SYSCALL msg=audit(", at: 0) {
                return try parseRecord(line, type: .syscall, headerAt: 23, node: nil, isTerminated: isTerminated)
            }
        }
        // auditd form, with an optional node= prefix.
        var start = 0
        var node: Range<Int>?
        if line.has("node=", at: 0) {
            let space = line.find(byte: UInt8(ascii: " "), from: 5, to: line.count) ?? line.count
            node = 5..<space
            start = space + 1
        }
        if line.has("type=", at: start) {
            // In a log of the kernel's own lines (dmesg, syslog, journal) the kernel never writes
            // auditd's form: such a line came from somewhere else.
            if sawRecord, !isAuditdStream { return untrusted() }
            if !sawRecord {
                isAuditdStream = true
                sawRecord = true
            }
            let typeStart = start + 5
            var typeEnd = typeStart
            while typeEnd < line.count, line[typeEnd] != UInt8(ascii: " ") { typeEnd += 1 }
            guard typeEnd < line.count, line.has("msg=audit(", at: typeEnd + 1)
            else {
                return try malformed("an auditd record without msg=audit(…)", isTerminated: isTerminated)
            }
            let type = Self.recordType(named: typeStart..<typeEnd, in: line)
            try parseRecord(line, type: type, headerAt: typeEnd + 11, node: node, isTerminated: isTerminated)
            return
        }
        if isAuditdStream || node != nil {
            return try malformed("not an audit record", isTerminated: isTerminated)
        }
        // Kernel forms: "audit: type=1326 audit(…): …" where the kernel's line puts it. Every line
        // that matters here has "audit" in it (kauditd_printk_skb too), so others cost one search.
        guard let audit = line.find("audit") else {
            statistics.foreignLines += 1
            return
        }
        if let message = Self.kernelMessageStart(line) {
            if line.has("audit: type=", at: message) {
                sawRecord = true
                var index = message + 12
                guard let number = line.decimal(&index, end: line.count), line.has(" audit(", at: index) else {
                    return try malformed(
                        "a kernel audit message without a record header", isTerminated: isTerminated)
                }
                let type: RecordType =
                    switch number {
                    case 1326: .seccomp
                    case 1400: .avc
                    case 1300: .syscall
                    case 1200...1299: .daemon
                    default: .other
                    }
                try parseRecord(line, type: type, headerAt: index + 7, node: nil, isTerminated: isTerminated)
                return
            }
            if parseKernelStatus(line, at: message) { return }
        }
        if line.find("audit: type=", from: audit) != nil || line.find("msg=audit(", from: max(audit - 4, 0)) != nil {
            return untrusted()
        }
        statistics.foreignLines += 1
    }

    /// Where the kernel's own message starts in a line of `dmesg`, syslog or journal output, or
    /// nil when the kernel did not write the line.
    ///
    /// The kernel's lines have one of these prefixes, and nothing else before the message:
    /// - none, or the kernel's time stamp `[SECONDS.MICROS] ` (`dmesg`);
    /// - a syslog or journal header whose tag is `kernel`: the first `": "` of the line ends the
    ///   tag (time stamps and host names have none), and the word before it is `kernel` after a
    ///   space, with no `[pid]`; the kernel's time stamp may follow (rsyslog keeps it).
    ///
    /// Another program's syslog line has its own tag (`nobody:` from `logger`, `app[42]:`), and a
    /// journal line broken in two continues indented: neither has a prefix above. Bytes only: this
    /// runs on every kernel-form line.
    @inline(__always) static func kernelMessageStart(_ line: AuditLine) -> Int? {
        let start = kernelStampEnd(line, at: 0) ?? 0
        if line.has("audit: ", at: start) || line.has("kauditd_printk_skb: ", at: start) { return start }
        // A byte loop: the tag ends a few dozen bytes in, too close for memchr calls to pay off.
        var colon = start
        while colon + 1 < line.count, line[colon] != UInt8(ascii: ":") || line[colon + 1] != UInt8(ascii: " ") {
            colon += 1
        }
        guard colon + 1 < line.count, line.has(" kernel", at: colon - 7) else { return nil }
        return kernelStampEnd(line, at: colon + 2) ?? colon + 2
    }

    /// The index after the kernel's time stamp `[   12.345678] ` at `index`, or nil when there is none.
    @inline(__always) static func kernelStampEnd(_ line: AuditLine, at index: Int) -> Int? {
        guard line.has("[", at: index) else { return nil }
        var cursor = index + 1
        while line.has(" ", at: cursor) { cursor += 1 }
        guard line.decimal(&cursor, end: line.count) != nil, line.has(".", at: cursor) else { return nil }
        cursor += 1
        guard line.decimal(&cursor, end: line.count) != nil, line.has("] ", at: cursor) else { return nil }
        return cursor + 2
    }

    /// Counts a line that looks like an audit record but that the kernel did not write, and
    /// remembers where the first one is.
    mutating func untrusted() {
        statistics.untrustedLines += 1
        if statistics.firstUntrustedLine == nil {
            statistics.firstUntrustedLine = ProfileLocation(file: file, line: lineNumber)
        }
    }

    static func recordType(named range: Range<Int>, in line: AuditLine) -> RecordType {
        if line.equals(range, "SECCOMP") { return .seccomp }
        if line.equals(range, "SYSCALL") { return .syscall }
        if line.equals(range, "AVC") { return .avc }
        if line.has("DAEMON_", at: range.lowerBound) { return .daemon }
        if line.has("UNKNOWN[", at: range.lowerBound) {
            // auditd prints types it has no name for as UNKNOWN[1326]. A cut `type=UNKNOWN[` has
            // no number and no `]` to drop: no type, and no reversed range to trap on.
            guard range.count > 9, line[range.upperBound - 1] == UInt8(ascii: "]") else { return .other }
            switch line.decimal(range.lowerBound + 8..<range.upperBound - 1) {
            case 1326: return .seccomp
            case 1400: return .avc
            case 1300: return .syscall
            default: return .other
            }
        }
        return .other
    }

    /// Parses `SECONDS.MILLIS:SERIAL): body` at `index` and hands the body on.
    mutating func parseRecord(
        _ line: AuditLine, type: RecordType, headerAt headerStart: Int, node: Range<Int>?, isTerminated: Bool
    ) throws(InputError) {
        var index = headerStart
        guard let seconds = line.decimal(&index, end: line.count), index < line.count,
            line[index] == UInt8(ascii: ".")
        else {
            return try malformed("a record header without a time stamp", isTerminated: isTerminated)
        }
        index += 1
        let fractionStart = index
        guard var fraction = line.decimal(&index, end: line.count), line.has(":", at: index) else {
            return try malformed("a record header without a serial number", isTerminated: isTerminated)
        }
        let fractionDigits = index - fractionStart
        for _ in 0..<max(3 - fractionDigits, 0) { fraction *= 10 }
        for _ in 0..<max(fractionDigits - 3, 0) { fraction /= 10 }
        index += 1
        guard let serial = line.decimal(&index, end: line.count), line.has("):", at: index) else {
            return try malformed("a record header without its closing '):'", isTerminated: isTerminated)
        }
        statistics.records += 1
        let time = Int64(truncatingIfNeeded: seconds &* 1000 &+ fraction)
        let inWindow = selection.contains(milliseconds: time)
        if isContinuation, leadingLoss == nil {
            leadingLoss = pendingLoss
            pendingLoss = PendingLoss()
            firstRecordInWindow = inWindow
        }
        if pendingLoss.isPending { settlePendingLoss(nextRecordInWindow: inWindow) }
        lastRecordInWindow = inWindow
        guard inWindow else { return }
        if type != .daemon {
            if let node {
                let key = Array(UnsafeBufferPointer(start: line.base + node.lowerBound, count: node.count))
                if isContinuation {
                    if nodeHeads[key, default: []].count < Self.headLimit {
                        nodeHeads[key, default: []].append(serial)
                    } else {
                        nodeHeadsOverflowed.insert(key)
                    }
                }
                statistics.missingSerials += nodeTrackers[key, default: SerialTracker()].observe(serial)
            } else {
                if isContinuation {
                    if head.count < Self.headLimit { head.append(serial) } else { headOverflowed = true }
                }
                statistics.missingSerials += tracker.observe(serial)
            }
        }
        let bodyStart = index + 2
        currentNode = node
        if !selection.nodes.isEmpty {
            guard let node, selection.nodes.contains(line.string(node)) else { return }
        }
        // The field cursor stops at auditd's 0x1D enrichment separator itself.
        switch type {
        case .seccomp: try parseSeccomp(line, from: bodyStart, to: line.count, isTerminated: isTerminated)
        case .avc: parseAVC(line, from: bodyStart, to: line.count)
        case .syscall: if !selection.pids.isEmpty { parseSyscall(line, from: bodyStart, to: line.count) }
        case .daemon, .other: break
        }
    }

    mutating func malformed(_ what: String, isTerminated: Bool) throws(InputError) {
        if isLenient {
            statistics.malformedLines += 1
            return
        }
        let hint = isTerminated ? "" : " (the last line has no newline: was the log cut?)"
        throw InputError("malformed audit line: \(what)\(hint).", at: ProfileLocation(file: file, line: lineNumber))
    }

    // MARK: - SECCOMP

    mutating func parseSeccomp(_ line: AuditLine, from start: Int, to end: Int, isTerminated: Bool) throws(InputError) {
        if let fields = SeccompFields.readKernelLayout(line, from: start, to: end) {
            return take(fields, in: line)
        }
        switch SeccompFields.walk(line, from: start, to: end) {
        case .success(let fields): take(fields, in: line)
        case .failure(let missing):
            try malformed("a SECCOMP record without a valid \(missing.field) field", isTerminated: isTerminated)
        }
    }

    /// Counts one SECCOMP record whose fields were read and checked.
    @inline(__always) mutating func take(_ fields: SeccompFields, in line: AuditLine) {
        let process = Int32(fields.pid)
        if !selection.pids.isEmpty {
            guard trackedPids.contains(process) else { return }
            notePidMatch(in: line)
        }
        let executable = fields.exe.map { intern(line, $0) } ?? internMissing()
        if !selection.executables.isEmpty {
            guard executableSelected[Int(executable)] else {
                // The runtime's last steps in a container run as the container's process, before
                // it executes the workload: kept aside, taken if that pid runs a selected exe.
                if executableIsRuntime[Int(executable)], fields.number >= 0, fields.number <= Int64(UInt32.max) {
                    runtimeCounts[process, default: [:]][fields.arch << 32 | UInt64(fields.number), default: 0] += 1
                }
                return
            }
            executablePids.insert(process)
        }
        statistics.seccompRecords += 1
        executableUsed[Int(executable)] = true
        pidsSeen.insert(process)
        guard fields.number >= 0, fields.number <= Int64(UInt32.max) else {
            // A record that says a syscall was made but not which: the trace must not look complete.
            statistics.unnumberedRecords += 1
            return
        }
        let key = fields.arch << 32 | UInt64(fields.number)
        counts.count(key, executable: executable)
    }

    /// Remembers the host of a record a selected pid matched.
    mutating func notePidMatch(in line: AuditLine) {
        let key =
            currentNode.map { Array(UnsafeBufferPointer(start: line.base + $0.lowerBound, count: $0.count)) } ?? []
        if !pidMatchedNodes.contains(key) { pidMatchedNodes.insert(key) }
    }

    /// The hosts whose records matched a selected pid, when there are several (`(no node)` for
    /// records without `node=`); empty when the selection is unambiguous.
    public var ambiguousPidHosts: [String] {
        guard pidMatchedNodes.count > 1 else { return [] }
        return pidMatchedNodes.map { $0.isEmpty ? "(no node)" : "node=" + String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// The id of an executable path, creating it the first time.
    @inline(__always) mutating func intern(_ line: AuditLine, _ value: Range<Int>) -> Int32 {
        let id = executables.id(of: value, in: line)
        if Int(id) == executableSelected.count { addedExecutable() }
        return id
    }

    /// The id standing for "no exe= field".
    mutating func internMissing() -> Int32 {
        let id = executables.id(ofDecoded: "")
        if Int(id) == executableSelected.count { addedExecutable() }
        return id
    }

    mutating func addedExecutable() {
        let name = executables.names[executableSelected.count]
        executableSelected.append(!name.isEmpty && selection.executables.contains(name))
        executableIsRuntime.append(name == "/")
        executableUsed.append(false)
    }

    // MARK: - SYSCALL (children of selected processes)

    mutating func parseSyscall(_ line: AuditLine, from start: Int, to end: Int) {
        var cursor = AuditFieldCursor(line: line, start: start, end: end)
        var pid: UInt64?
        var ppid: UInt64?
        var arch: UInt64?
        var number: UInt64?
        var exit: Int64?
        var success = false
        while let (key, value) = cursor.next() {
            if line.equals(key, "pid") {
                pid = line.decimal(value)
            } else if line.equals(key, "ppid") {
                ppid = line.decimal(value)
            } else if line.equals(key, "arch") {
                arch = line.hexadecimal(value)
            } else if line.equals(key, "syscall") {
                number = line.decimal(value)
            } else if line.equals(key, "exit") {
                exit = line.signedDecimal(value)
            } else if line.equals(key, "success") {
                success = line.equals(value, "yes")
            }
        }
        guard let pid, pid <= UInt64(Int32.max) else { return }
        let process = Int32(pid)
        if let ppid, ppid <= UInt64(Int32.max), trackedPids.contains(Int32(ppid)) { trackedPids.insert(process) }
        guard trackedPids.contains(process), success, let arch, let number, let exit, exit > 0,
            exit <= Int64(Int32.max), isFork(arch: arch, number: number)
        else { return }
        trackedPids.insert(Int32(exit))
    }

    /// Whether a syscall creates a process or thread (`clone`, `clone3`, `fork`, `vfork`).
    mutating func isFork(arch: UInt64, number: UInt64) -> Bool {
        let key = arch << 32 | (number & 0xFFFF_FFFF)
        if let known = forkNames[key] { return known }
        var result = false
        if let abi = Architecture.abi(auditArch: UInt32(truncatingIfNeeded: arch), number: number),
            let name = SyscallResolver.name(of: number, on: abi)
        {
            result = ["clone", "clone3", "fork", "vfork"].contains(name)
        }
        forkNames[key] = result
        return result
    }

    // MARK: - AppArmor AVC

    mutating func parseAVC(_ line: AuditLine, from start: Int, to end: Int) {
        var cursor = AuditFieldCursor(line: line, start: start, end: end)
        var verdict: Range<Int>?
        var operation: Range<Int>?
        var name: Range<Int>?
        var requested: Range<Int>?
        var denied: Range<Int>?
        var capability: Range<Int>?
        var capname: Range<Int>?
        var family: Range<Int>?
        var socketType: Range<Int>?
        var protocolNumber: Range<Int>?
        var pid: UInt64?
        while let (key, value) = cursor.next() {
            switch key.count {
            case 3: if line.equals(key, "pid") { pid = line.decimal(value) }
            case 4: if line.equals(key, "name") { name = value }
            case 6: if line.equals(key, "family") { family = value }
            case 7: if line.equals(key, "capname") { capname = value }
            case 8:
                if line.equals(key, "apparmor") {
                    verdict = value
                } else if line.equals(key, "protocol") {
                    protocolNumber = value
                }
            case 9:
                if line.equals(key, "operation") {
                    operation = value
                } else if line.equals(key, "sock_type") {
                    socketType = value
                }
            case 10: if line.equals(key, "capability") { capability = value }
            case 11: if line.equals(key, "denied_mask") { denied = value }
            case 14: if line.equals(key, "requested_mask") { requested = value }
            default: break
            }
        }
        // SELinux AVCs have no apparmor=; STATUS records are profile loads.
        guard let verdict, !line.equals(verdict, "\"STATUS\""), let operation else { return }
        if let pid, pid <= UInt64(Int32.max) {
            let process = Int32(pid)
            if !selection.pids.isEmpty {
                guard trackedPids.contains(process) else { return }
                notePidMatch(in: line)
            }
            if !selection.executables.isEmpty, !executablePids.contains(process) { return }
            pidsSeen.insert(process)
        } else if !selection.pids.isEmpty || !selection.executables.isEmpty {
            return
        }
        if line.equals(operation, "\"capable\"") {
            // Only real capability names reach the trace, whatever the record says.
            if let capname, capname.count > 2, case let name = CapabilityList.canonical(line.string(capname)),
                CapabilityList.isKnown(name)
            {
                capabilities.insert(name)
            } else if let number = capability.flatMap({ line.decimal($0) }), number < CapabilityList.all.count {
                capabilities.insert(CapabilityList.all[Int(number)])
            } else {
                return
            }
        } else if let family {
            network.insert(
                Trace.NetworkAccess(
                    family: line.string(family), socketType: socketType.map { line.string($0) } ?? "",
                    protocolNumber: protocolNumber.flatMap { line.decimal($0) }.map { Int(clamping: $0) }))
        } else if let name {
            var letters = Self.accessBits(line, requested)
            if letters == 0 { letters = Self.accessBits(line, denied) }
            if letters == 0 {
                let text = line.string(operation)
                guard let implied = Self.impliedAccess[text], let index = Self.accessLetters.firstIndex(of: implied)
                else { return }
                letters = 1 << UInt16(Self.accessLetters.distance(from: Self.accessLetters.startIndex, to: index))
            }
            let id = Int(fileNames.id(of: name, in: line))
            if id == fileAccess.count {
                fileAccess.append(0)
                fileIsPath.append(fileNames.names[id].hasPrefix("/"))
            }
            guard fileIsPath[id] else { return }
            fileAccess[id] |= letters
            if line.equals(operation, "\"exec\"") { execNames.insert(fileNames.names[id]) }
        } else {
            return
        }
        statistics.appArmorRecords += 1
    }

    /// Where a path below `/proc/N/` of one of the recorded processes belongs, as `cinch record`
    /// files it: relative to the process's directory, or to `/proc/N/task/T/`. Audit records carry
    /// the host's pids, so a container's own `/proc` numbers match only when the container shares
    /// the host's pid namespace.
    enum OwnProcessPath: Equatable {
        case process(String)
        case thread(String)
    }

    static func ownProcessPath(_ path: String, isRecorded: (Int32) -> Bool) -> OwnProcessPath? {
        guard path.hasPrefix("/proc/") else { return nil }
        let parts = path.dropFirst(6).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let number = Int32(parts[0]), isRecorded(number) else { return nil }
        let rest = Array(parts.dropFirst())
        if rest.count >= 3, rest[0] == "task", let thread = Int32(rest[1]), isRecorded(thread) {
            return .thread(rest.dropFirst(2).joined(separator: "/"))
        }
        return .process(rest.joined(separator: "/"))
    }

    /// AppArmor's file access letters, in bit order.
    static let accessLetters: [Character] = ["r", "w", "a", "c", "d", "x", "m", "k", "l"]

    /// The letters of a mask value (`"rw"`, `"::r"`) as bits of ``accessLetters``.
    static func accessBits(_ line: AuditLine, _ range: Range<Int>?) -> UInt16 {
        guard let range else { return 0 }
        var bits: UInt16 = 0
        for index in range {
            switch line[index] {
            case UInt8(ascii: "r"): bits |= 1 << 0
            case UInt8(ascii: "w"): bits |= 1 << 1
            case UInt8(ascii: "a"): bits |= 1 << 2
            case UInt8(ascii: "c"): bits |= 1 << 3
            case UInt8(ascii: "d"): bits |= 1 << 4
            case UInt8(ascii: "x"): bits |= 1 << 5
            case UInt8(ascii: "m"): bits |= 1 << 6
            case UInt8(ascii: "k"): bits |= 1 << 7
            case UInt8(ascii: "l"): bits |= 1 << 8
            default: break
            }
        }
        return bits
    }

    /// The access an AppArmor file operation implies when its record has no mask.
    static let impliedAccess: [String: Character] = [
        "exec": "x", "open": "r", "mkdir": "c", "mknod": "c", "unlink": "d", "rmdir": "d", "file_mmap": "m",
        "file_lock": "k", "link": "l", "truncate": "w",
    ]

    // MARK: - Kernel status messages

    /// Counts the kernel's messages about dropped records, at `message` (see
    /// ``kernelMessageStart(_:)``); returns false when the message is none of them.
    mutating func parseKernelStatus(_ line: AuditLine, at message: Int) -> Bool {
        if line.has("kauditd_printk_skb: ", at: message) {
            // printk's rate limit on audit's own messages: "kauditd_printk_skb: 155 callbacks suppressed".
            var index = message + 20
            guard let count = line.decimal(&index, end: line.count), line.has(" callbacks suppressed", at: index)
            else { return false }
            pendingLoss.suppressed += Int(clamping: count)
        } else if line.has("audit: audit_lost=", at: message) {
            var index = message + 18
            guard let count = line.decimal(&index, end: line.count) else { return false }
            pendingLoss.lost = max(pendingLoss.lost ?? 0, count)
        } else if line.has("audit: rate limit exceeded", at: message)
            || line.has("audit: backlog limit exceeded", at: message)
            || line.has("audit: printk limit exceeded", at: message)
            || line.has("audit: kauditd hold queue overflow", at: message)
        {
            pendingLoss.messages += 1
        } else {
            return false
        }
        if lastRecordInWindow { settlePendingLoss(nextRecordInWindow: true) }
        return true
    }

    /// Counts held loss messages when a record next to them is inside the window; drops them otherwise.
    mutating func settlePendingLoss(nextRecordInWindow: Bool) {
        if nextRecordInWindow || lastRecordInWindow {
            statistics.kernelLossMessages += pendingLoss.messages
            statistics.suppressedMessages += pendingLoss.suppressed
            if let lost = pendingLoss.lost {
                statistics.kernelLostCounter = max(statistics.kernelLostCounter ?? 0, lost)
            }
        }
        pendingLoss = PendingLoss()
    }

    // MARK: - Result

    /// With ``AuditSelection/executables``: the records with `exe="/"` (a container runtime's own,
    /// after it installed the log filter) of processes that went on to execute a selected
    /// executable, which the trace keeps, and of the others, which it drops; pids sorted.
    public var runtimeRecords: (kept: UInt64, keptPids: [Int32], dropped: UInt64, droppedPids: [Int32]) {
        var result: (kept: UInt64, keptPids: [Int32], dropped: UInt64, droppedPids: [Int32]) = (0, [], 0, [])
        for (pid, keys) in runtimeCounts.sorted(by: { $0.key < $1.key }) {
            let records = keys.values.reduce(0, +)
            if executablePids.contains(pid) {
                result.kept += records
                result.keptPids.append(pid)
            } else {
                result.dropped += records
                result.droppedPids.append(pid)
            }
        }
        return result
    }

    /// The trace of everything taken so far.
    ///
    /// Syscall numbers are named per ABI with libseccomp; numbers it cannot name go to
    /// `unknownNumbers`. Loss of any kind marks the trace incomplete with one reason per kind.
    /// - Parameter logs: the inputs as the user named them, for `source.logs`.
    public func makeTrace(logs: [String]) -> Trace {
        var trace = Trace(source: Trace.Source(kind: "audit", logs: logs))
        var statistics = self.statistics
        var counts = self.counts
        let runtime = executables.names.firstIndex(of: "/").map(Int32.init) ?? 0
        for (pid, keys) in runtimeCounts where executablePids.contains(pid) {
            for (key, count) in keys { counts.add(key, count: count, executable: runtime) }
        }
        for (key, seen) in zip(counts.keys, counts.values) {
            let arch = UInt32(truncatingIfNeeded: key >> 32)
            let number = key & 0xFFFF_FFFF
            guard let abi = Architecture.abi(auditArch: arch, number: number) else {
                statistics.unknownArchitectures[arch, default: 0] += Int(clamping: seen.count)
                continue
            }
            var record = trace.abis[abi] ?? Trace.ABIRecord()
            let executable = executables.names[Int(seen.executable)]
            if let name = SyscallResolver.name(of: number, on: abi) {
                var existing = record.syscalls[name] ?? Trace.SyscallRecord(count: 0)
                existing.count += seen.count
                if existing.firstExecutable == nil, !executable.isEmpty { existing.firstExecutable = executable }
                record.syscalls[name] = existing
            } else {
                record.unknownNumbers[number, default: 0] += seen.count
            }
            trace.abis[abi] = record
        }
        var used = execNames
        for (id, isUsed) in executableUsed.enumerated() where isUsed && !executables.names[id].isEmpty {
            used.insert(executables.names[id])
        }
        trace.executables = used
        trace.processCount = pidsSeen.count
        for (id, bits) in fileAccess.enumerated() where bits != 0 {
            var letters = Set<Character>()
            for (bit, letter) in Self.accessLetters.enumerated() where bits & (1 << UInt16(bit)) != 0 {
                letters.insert(letter)
            }
            let path = fileNames.names[id]
            switch Self.ownProcessPath(path, isRecorded: pidsSeen.contains) {
            case .process(let relative): trace.processFiles[relative, default: []].formUnion(letters)
            case .thread(let relative): trace.threadFiles[relative, default: []].formUnion(letters)
            case nil: trace.files[path] = letters
            }
        }
        trace.network = network
        trace.capabilities = capabilities
        // AppArmor in complain mode reports files, network and capabilities alike; a log with
        // none of its records for the selection did not watch them.
        if statistics.appArmorRecords > 0 { trace.observed = [.capabilities, .files, .network] }
        for reason in statistics.lossReasons { trace.markIncomplete(reason) }
        return trace
    }

    /// The statistics ``makeTrace(logs:)`` reports, including unknown architectures.
    public var finalStatistics: AuditLogStatistics {
        var result = statistics
        let runtime = runtimeRecords
        result.runtimeRecordsKept = Int(clamping: runtime.kept)
        result.runtimeRecordPids = runtime.keptPids
        result.runtimeRecordsDropped = Int(clamping: runtime.dropped)
        result.seccompRecords += Int(clamping: runtime.kept)
        for (key, seen) in zip(counts.keys, counts.values) {
            let arch = UInt32(truncatingIfNeeded: key >> 32)
            if Architecture.abi(auditArch: arch, number: key & 0xFFFF_FFFF) == nil {
                result.unknownArchitectures[arch, default: 0] += Int(clamping: seen.count)
            }
        }
        return result
    }
}

/// Finds gaps in one stream's audit serial numbers.
///
/// Records of one event share a serial, and events can reach the log slightly out of order, so
/// a serial missing now may still arrive: missing serials within ``window`` of the highest are
/// held and counted only when they fall out of it or the stream ends. A serial far below the
/// highest (a reboot) starts the count afresh.
struct SerialTracker: Equatable {
    /// How far behind the highest serial a late record may still arrive.
    static let window: UInt64 = 256

    var highest: UInt64?
    /// Missing serials that may still arrive, ascending.
    var pending: [UInt64] = []

    /// Takes one serial; returns how many serials are now known to be missing.
    @inline(__always) mutating func observe(_ serial: UInt64) -> Int {
        guard let highest else {
            self.highest = serial
            return 0
        }
        if serial == highest { return 0 }
        if serial == highest &+ 1, pending.isEmpty {
            self.highest = serial
            return 0
        }
        return observeSlowly(serial, highest: highest)
    }

    mutating func observeSlowly(_ serial: UInt64, highest: UInt64) -> Int {
        var missing = 0
        if serial > highest {
            let gap = serial - highest - 1
            if gap > Self.window {
                missing += Int(clamping: gap)
            } else if gap > 0 {
                pending.append(contentsOf: (highest + 1)..<serial)
            }
            self.highest = serial
            let floor = serial > Self.window ? serial - Self.window : 0
            let expired = pending.prefix { $0 < floor }.count
            missing += expired
            pending.removeFirst(expired)
        } else if let index = pending.firstIndex(of: serial) {
            pending.remove(at: index)
        } else if highest - serial > Self.window * 64 {
            // Far below: the kernel's counter restarted (a reboot); a new stream begins.
            missing += pending.count
            pending = []
            self.highest = serial
        }
        return missing
    }

    /// Ends the stream: whatever is still pending is missing.
    mutating func finish() -> Int {
        defer { pending = [] }
        return pending.count
    }
}
