// SPDX-License-Identifier: Apache-2.0
// `cinch audit`: record through the kernel's audit log where cinch cannot be the tracer.

import ArgumentParser
import CinchAudit
import CinchModel
import CinchWorkflow

/// `cinch audit`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Record through kernel audit logs (SCMP_ACT_LOG, AppArmor complain mode).",
        discussion: """
            Staging workflow: `cinch audit log-profile -o log.json`, run the workload with it \
            (`docker run --security-opt seccomp=log.json …`, podman, runc, or `cinch run --seccomp log.json`), \
            then `cinch audit ingest /var/log/audit/audit.log --since T -o trace.json` and \
            `cinch generate seccomp trace.json`. See docs/audit.md.
            """,
        subcommands: [AuditLogProfileCommand.self, AuditIngestCommand.self]
    )
}

/// `cinch audit log-profile`.
struct AuditLogProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-profile",
        abstract: "Write a seccomp profile that logs every syscall not in the known traces.",
        discussion: """
            The default action is SCMP_ACT_LOG, so every syscall runs and each one that no rule allows \
            makes a type=SECCOMP audit record. Syscalls of --known traces are allowed and make none. \
            The profile covers the native ABI and its compat ABIs (x86_64: x86 and x32).

            Exit status: 0 on success, 64 when a --known trace is unusable, 73 when the profile cannot \
            be written.
            """
    )

    @Option(name: .long, help: "A trace whose syscalls need no records (repeatable).")
    var known: [String] = []

    @Option(help: "Profile format: docker or oci.")
    var format: ProfileFormat = .docker

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output = "-"

    func run() throws {
        try GeneratorIO.finish(
            GenerateJob.run(.seccompLog(format.model), traceFiles: known, output: output), quiet: false,
            refusal: "no profile was written: fix the --known traces above.")
    }
}

/// `cinch audit ingest`.
struct AuditIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Turn audit log records (SECCOMP, AppArmor AVC) into a trace.",
        discussion: """
            Reads auditd logs and the same records with dmesg, syslog or journal prefixes, plain or \
            gzip-compressed; `-` reads standard input. Times are epoch seconds or YYYY-MM-DDTHH:MM:SS \
            (UTC), compared with the records' audit time stamps. --pid follows children when the log \
            has SYSCALL records that show them (audit rules on clone/fork/execve).

            Lost records never pass silently: serial-number gaps, kernel messages about dropped \
            records and, with --check-auditd, the lost counter of `auditctl -s` mark the trace \
            incomplete, with a warning and counts on stderr.

            Only records the kernel wrote count: in dmesg, syslog and journal input, a line must \
            carry the kernel's own tag (`kernel:`) or the dmesg prefix, and audit's own message \
            right after it; in auditd's log, user-space records (USER_*) are never taken. Lines that \
            look like records but fail this are ignored, with a warning naming how many and the \
            first one's file:line.

            Exit status: 0 when the trace was written (also when incomplete: see the warning); 64 \
            when a log cannot be read or has a malformed line (file and line are named; --lenient \
            skips such lines); 69 when --check-auditd cannot run auditctl; 73 when the trace cannot \
            be written.
            """
    )

    @Argument(help: "Log files; - for standard input.")
    var logs: [String]

    @Option(help: "Skip records before this time.")
    var since: String?

    @Option(help: "Skip records after this time.")
    var until: String?

    @Option(help: "Take only records of this process and its children (repeatable).")
    var pid: [Int32] = []

    @Option(help: "Take only records of this executable path (repeatable).")
    var exe: [String] = []

    @Option(help: "Take only records auditd forwarded from this host (node=NAME; repeatable).")
    var node: [String] = []

    @Flag(help: "Skip malformed lines instead of failing, and report how many.")
    var lenient = false

    @Flag(help: "Also read the kernel's lost counter with `auditctl -s`.")
    var checkAuditd = false

    @Flag(name: .shortAndLong, help: "No summary on stderr.")
    var quiet = false

    @Option(name: .shortAndLong, help: "Where to write the trace.")
    var output = "cinch-trace.json"

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("Give at least one log file (- for standard input).") }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, AuditTime(parsing: value) == nil {
                throw ValidationError("\(name) '\(value)' is not epoch seconds or YYYY-MM-DDTHH:MM:SS (UTC).")
            }
        }
    }

    func run() throws {
        let selection = AuditSelection(
            since: since.flatMap(AuditTime.init(parsing:)), until: until.flatMap(AuditTime.init(parsing:)),
            pids: Set(pid), executables: Set(exe), nodes: Set(node))
        let trace: Trace
        let statistics: AuditLogStatistics
        switch AuditJob.ingest(
            logs, selection: selection, isLenient: lenient, checksAuditd: checkAuditd, output: output)
        {
        case .unusableLog(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .auditctlUnavailable(let error):
            throw Console.fail(error, ExitStatus.unavailable)
        case .unwritable(let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        case .written(let written, let counts):
            trace = written
            statistics = counts
        }
        if !quiet {
            let perABI = trace.abis.keys.sorted().map { "\($0.name): \(trace.abis[$0]?.syscalls.count ?? 0)" }
            Console.error(
                "cinch: read \(statistics.lines) lines, \(statistics.records) audit records; took \(statistics.seccompRecords) SECCOMP and \(statistics.appArmorRecords) AppArmor records from \(trace.processCount) processes (\(perABI.isEmpty ? "no syscalls" : perABI.joined(separator: ", "))) into \(output)"
            )
            if statistics.runtimeRecordsKept > 0 {
                let pids = statistics.runtimeRecordPids.map(String.init).joined(separator: ", ")
                Console.error(
                    "cinch: note: took \(statistics.runtimeRecordsKept) records with exe=\"/\" of pid \(pids): the container runtime's own steps after it installed the filter, before it executed \(exe.joined(separator: ", ")); the profile must allow them for the container to start."
                )
            }
            if statistics.seccompRecords == 0 && statistics.appArmorRecords == 0 {
                Console.error("cinch: warning: no record matched; check --since/--until/--pid/--exe and the log file.")
            }
        }
        if statistics.untrustedLines > 0 {
            // Someone else wrote these, so this is said even with --quiet.
            let first = statistics.firstUntrustedLine.map { " The first is \($0)." } ?? ""
            Console.error(
                "cinch: warning: \(statistics.untrustedLines) lines look like audit records but were not written by the kernel (another program's syslog tag, or not the kernel's own form); they were ignored.\(first) See docs/audit.md."
            )
        }
        if !trace.isComplete {
            Console.error(
                "cinch: warning: the trace in \(output) is incomplete: \(trace.incompleteReasons.joined(separator: " "))"
            )
        }
    }
}
