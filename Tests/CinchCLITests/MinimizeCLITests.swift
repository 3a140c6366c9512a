// SPDX-License-Identifier: Apache-2.0
// `cinch minimize` with real runc: a recorded list loses what the workload only probed, keeps what
// it needs, and keeps what it cannot prove either way.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

/// Issue 13: a granted capability is not always a needed one. These containers start with
/// Docker's default set, as a user's would.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(4))
)
struct MinimizeCLITests {
    enum MinimizeTestError: Error { case unexpectedConfig }

    let cinch = TestEnvironment.product("cinch")

    /// The 14 capabilities `docker run` grants by default.
    static let dockerDefault = [
        "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
        "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
        "CAP_SYS_CHROOT",
    ]

    /// A busybox bundle running `script` with `sh -c`, with Docker's default capabilities, the
    /// extra applets it uses, and a user `app` (uid and gid 1000).
    func bundle(_ script: String, applets: [String] = []) throws -> BusyboxBundle {
        let bundle = try BusyboxBundle(arguments: ["sh", "-c", script], noNewPrivileges: true)
        let rootfs = bundle.directory + "/rootfs"
        for applet in applets {
            try FileManager.default.createSymbolicLink(
                atPath: "\(rootfs)/bin/\(applet)", withDestinationPath: "busybox")
        }
        try "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n".write(
            toFile: "\(rootfs)/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\napp:x:1000:\n".write(toFile: "\(rootfs)/etc/group", atomically: true, encoding: .utf8)
        let path = bundle.directory + "/config.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard var config = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var process = config["process"] as? [String: Any]
        else {
            bundle.remove()
            throw MinimizeTestError.unexpectedConfig
        }
        process["capabilities"] = ["bounding", "effective", "permitted"].reduce(into: [String: Any]()) {
            $0[$1] = Self.dockerDefault
        }
        config["process"] = process
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return bundle
    }

    /// A seccomp profile that allows everything, for runs that test only capabilities.
    func allowAll(in dir: String) throws -> String {
        let path = "\(dir)/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `cinch minimize --format json` and returns the exit status and the parsed report.
    func minimize(_ arguments: [String]) throws -> (status: Int32, report: [String: Any], stderr: String) {
        let run = try Command.run([cinch, "minimize", "-q", "--format", "json", "--grace", "1"] + arguments)
        let report = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        return (run.status, report, run.stdout + run.stderr)
    }

    func expectNoLeftovers(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(RuntimeState.leftoverContainers() == [], sourceLocation: sourceLocation)
    }

    /// The acceptance case: a root entrypoint probes a file it has no permission for (and goes
    /// on), chowns a directory to `app` and switches to it. The recording has CAP_DAC_OVERRIDE
    /// with the three it needs; minimize drops it, and verify proves every member of the result.
    @Test func aProbedCapabilityIsDroppedAndTheNeededOnesAreKept() throws {
        let script = """
            (echo probe >> /secret) 2>/dev/null || echo probe refused; mkdir -p /data && chown app:app /data \
            && exec su app -s /bin/sh -c 'echo ok > /data/out && cat /data/out'
            """
        let bundle = try bundle(script, applets: ["mkdir", "chown", "su"])
        defer { bundle.remove() }
        let dir = bundle.directory
        try "secret\n".write(toFile: "\(dir)/rootfs/secret", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: "\(dir)/rootfs/secret")
        let container = ["--bundle", dir, "--timeout", "40"]

        let record = try Command.run([cinch, "record", "-q", "--runs", "2", "-o", "\(dir)/t.json"] + container)
        try #require(record.status == 0, "\(record.stderr)")
        let trace = try Trace.load(path: "\(dir)/t.json")
        let kernelObserves =
            TestEnvironment.isCI
            || FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/capability/cap_capable")
        try #require(
            trace.observed.contains(.capabilities) || !kernelObserves, "the recorder must observe capabilities")
        let expected: Set = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETGID", "CAP_SETUID"]
        if trace.observed.contains(.capabilities) {
            #expect(trace.capabilities.isSuperset(of: expected), "\(trace.capabilities.sorted())")
            for name in expected {
                #expect(trace.capabilityEvidence[name]?.syscalls.isEmpty == false, "no evidence for \(name)")
            }
            let generate = try Command.run([
                cinch, "generate", "capabilities", "-q", "\(dir)/t.json", "-o", "\(dir)/caps",
            ])
            try #require(generate.status == 0, "\(generate.stderr)")
        } else {
            try expected.sorted().joined(separator: "\n").write(
                toFile: "\(dir)/caps", atomically: true, encoding: .utf8)
        }
        let seccomp = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        try #require(seccomp.status == 0, "\(seccomp.stderr)")

        let (status, report, output) = try minimize(
            ["--seccomp", "\(dir)/p.json", "--caps-file", "\(dir)/caps", "--runs", "1", "-o", "\(dir)/min.caps"]
                + container)
        #expect(status == 0, "\(output)")
        #expect(report["needed"] as? [String] == ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"], "\(output)")
        #expect((report["unneeded"] as? [String])?.contains("CAP_DAC_OVERRIDE") == true, "\(output)")
        #expect(report["undecided"] as? [String] == [], "\(output)")
        let written = try String(contentsOfFile: "\(dir)/min.caps", encoding: .utf8)
        #expect(written == "CAP_CHOWN\nCAP_SETGID\nCAP_SETUID\n")
        expectNoLeftovers()

        // verify passes with the list and fails without each of its members.
        let verify = [cinch, "verify", "--seccomp", "\(dir)/p.json"] + container
        let whole = try Command.run(verify + ["--caps-file", "\(dir)/min.caps"])
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        for name in ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"] {
            let rest = ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"].filter { $0 != name }.joined(separator: ",")
            let without = try Command.run(verify + ["--caps", rest])
            #expect(without.status == 1, "without \(name): \(without.stdout)\(without.stderr)")
        }
        expectNoLeftovers()
    }

    /// busybox httpd binding port 80 as root, from Docker's default set (the bundle's own, as no
    /// list is given): exactly CAP_NET_BIND_SERVICE is left, in the format asked for.
    @Test func httpdOnPort80KeepsOnlyNetBindService() throws {
        let bundle = try bundle("exec httpd -f -p 127.0.0.1:80 -h /www")
        defer { bundle.remove() }
        let dir = bundle.directory
        let (status, report, output) = try minimize(
            [
                "--seccomp", try allowAll(in: dir), "--runs", "1", "--list-format", "docker", "-o", "\(dir)/caps",
                "--bundle", dir, "--driver", "wget -q -O - http://127.0.0.1:80/ | grep -q cinch", "--wait-port", "80",
                "--timeout", "20",
            ])
        #expect(status == 0, "\(output)")
        #expect(report["candidates"] as? [String] == Self.dockerDefault, "\(output)")
        #expect(report["kept"] as? [String] == ["CAP_NET_BIND_SERVICE"], "\(output)")
        #expect(
            report["unneeded"] as? [String] == Self.dockerDefault.filter { $0 != "CAP_NET_BIND_SERVICE" }, "\(output)")
        let written = try String(contentsOfFile: "\(dir)/caps", encoding: .utf8)
        #expect(written == "--cap-drop=ALL --cap-add=CAP_NET_BIND_SERVICE\n")
        expectNoLeftovers()
    }

    /// A batch job that writes and reads its own files needs nothing: two trials decide it.
    @Test func aBatchJobNeedsNone() throws {
        let bundle = try bundle("echo done > /tmp/out && cat /tmp/out")
        defer { bundle.remove() }
        let dir = bundle.directory
        let (status, report, output) = try minimize(
            ["--seccomp", try allowAll(in: dir), "--runs", "2", "-o", "\(dir)/caps", "--bundle", dir])
        #expect(status == 0, "\(output)")
        #expect(report["kept"] as? [String] == [], "\(output)")
        #expect(report["unneeded"] as? [String] == Self.dockerDefault, "\(output)")
        #expect(report["runs"] as? Int == 4, "\(output)")
        #expect(try String(contentsOfFile: "\(dir)/caps", encoding: .utf8) == "")
        expectNoLeftovers()
    }

    /// Without CAP_NET_RAW the workload fails every other run (a counter file in its root
    /// filesystem flips each time): that capability ends undecided and kept, never unneeded.
    @Test func aFlakyCapabilityIsUndecidedNotUnneeded() throws {
        let script = """
            while read key value; do [ "$key" = CapEff: ] && eff=$value; done < /proc/self/status; \
            [ $(( 0x$eff >> 13 & 1 )) = 1 ] && exit 0; \
            if [ -e /flip ]; then rm /flip; exit 0; else echo > /flip; exit 1; fi
            """
        let bundle = try bundle(script, applets: ["rm"])
        defer { bundle.remove() }
        let dir = bundle.directory
        let (status, report, output) = try minimize(
            [
                "--seccomp", try allowAll(in: dir), "--caps", "CAP_KILL,CAP_NET_RAW", "--runs", "2", "-o",
                "\(dir)/caps", "--bundle", dir,
            ])
        #expect(status == 0, "\(output)")
        #expect(report["undecided"] as? [String] == ["CAP_NET_RAW"], "\(output)")
        #expect(report["unneeded"] as? [String] == ["CAP_KILL"], "\(output)")
        #expect(report["needed"] as? [String] == [], "\(output)")
        let findings = report["capabilities"] as? [[String: Any]] ?? []
        let netRaw = findings.first { $0["name"] as? String == "CAP_NET_RAW" }
        #expect(netRaw?["reason"] as? String == "flaky", "\(output)")
        #expect(try String(contentsOfFile: "\(dir)/caps", encoding: .utf8) == "CAP_NET_RAW\n")
        expectNoLeftovers()
    }

    /// A workload that fails with the whole list proves nothing: exit 1, and no list is written.
    @Test func aFailingWorkloadIsReportedAndNothingIsWritten() throws {
        let bundle = try bundle("exit 3")
        defer { bundle.remove() }
        let dir = bundle.directory
        let (status, report, output) = try minimize(
            ["--seccomp", try allowAll(in: dir), "--runs", "1", "-o", "\(dir)/caps", "--bundle", dir])
        #expect(status == 1, "\(output)")
        #expect(report["conclusion"] as? String == "baseline-failed", "\(output)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/caps"))
        expectNoLeftovers()
    }
}

/// `cinch minimize -- CMD`: the same search for a command that cinch runs as root, each run with
/// the capabilities outside the list removed from its bounding, inheritable and ambient sets.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            TestEnvironment.isRoot && TestEnvironment.hasProduct("cinch") && TestEnvironment.canPtrace
                && TestEnvironment.hasTool("setpriv")),
        "needs root, ptrace, util-linux setpriv and the built cinch"),
    .timeLimit(.minutes(2))
)
struct MinimizeCommandCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// The acceptance case as a command: probe a file without permission, chown a directory to
    /// nobody, switch to nobody and write there.
    @Test func aProbedCapabilityIsDroppedFromACommand() throws {
        let dir = try Command.temporaryDirectory("minimize")
        defer { Command.removeDirectory(dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        try "secret\n".write(toFile: "\(dir)/secret", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: "\(dir)/secret")
        let script = """
            (echo probe >> \(dir)/secret) 2>/dev/null || echo probe refused; mkdir -p \(dir)/data \
            && chown 65534:65534 \(dir)/data \
            && exec setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo ok > \(dir)/data/out'
            """
        let command = ["--", "sh", "-c", script]
        let record = try Command.run([cinch, "record", "-q", "--capabilities", "-o", "\(dir)/t.json"] + command)
        try #require(record.status == 0, "\(record.stderr)")
        let trace = try Trace.load(path: "\(dir)/t.json")
        let expected: Set = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETGID", "CAP_SETUID"]
        if trace.observed.contains(.capabilities) {
            #expect(trace.capabilities.isSuperset(of: expected), "\(trace.capabilities.sorted())")
            // Evidence: the syscall behind each check, as the generator's notes say.
            #expect(trace.capabilityEvidence["CAP_CHOWN"]?.syscalls.contains("fchownat") == true)
            #expect(trace.capabilityEvidence["CAP_SETGID"]?.syscalls.contains("setgroups") == true)
            #expect(trace.capabilityEvidence["CAP_SETUID"]?.syscalls.contains("setresuid") == true)
            let notes = try Command.run([cinch, "generate", "capabilities", "\(dir)/t.json"])
            #expect(notes.stderr.contains("CAP_CHOWN was granted during fchownat"), "\(notes.stderr)")
            #expect(notes.stderr.contains("CAP_DAC_OVERRIDE was granted during openat"), "\(notes.stderr)")
        }
        // The recorded list when there is one, else the four by hand.
        let caps = (trace.observed.contains(.capabilities) ? trace.capabilities : expected).sorted()
        let seccomp = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        try #require(seccomp.status == 0, "\(seccomp.stderr)")

        let run = try Command.run(
            [
                cinch, "minimize", "-q", "--format", "json", "--seccomp", "\(dir)/p.json", "--caps",
                caps.joined(separator: ","), "--runs", "2", "-o", "\(dir)/min.caps",
            ] + command)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        #expect(report["needed"] as? [String] == ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"], "\(run.stdout)")
        #expect((report["unneeded"] as? [String])?.contains("CAP_DAC_OVERRIDE") == true, "\(run.stdout)")
        #expect(try String(contentsOfFile: "\(dir)/min.caps", encoding: .utf8) == "CAP_CHOWN\nCAP_SETGID\nCAP_SETUID\n")
    }

    /// `--syscalls` reports, never applies: a syscall the profile allows but the workload never
    /// makes (`kill`) is survivable, `execve` is needed, and the profile file is unchanged.
    @Test func syscallsAreReportedNotRemoved() throws {
        let dir = try Command.temporaryDirectory("minimize")
        defer { Command.removeDirectory(dir) }
        let record = try Command.run([cinch, "record", "-q", "-o", "\(dir)/t.json", "--", "/bin/busybox", "true"])
        try #require(record.status == 0, "\(record.stderr)")
        let generate = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        try #require(generate.status == 0, "\(generate.stderr)")
        // One syscall more than the workload makes.
        let profile = try String(contentsOfFile: "\(dir)/p.json", encoding: .utf8)
        let widened = profile.replacingOccurrences(of: #""execve","#, with: #""execve", "kill","#)
        try #require(widened != profile, "the generated profile lists execve: \(profile)")
        try widened.write(toFile: "\(dir)/p.json", atomically: true, encoding: .utf8)

        let run = try Command.run([
            cinch, "minimize", "-q", "--format", "json", "--syscalls", "--seccomp", "\(dir)/p.json", "--caps",
            "CAP_KILL", "--runs", "1", "--timeout", "10", "--", "/bin/busybox", "true",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        let syscalls = report["syscalls"] as? [String: Any] ?? [:]
        #expect((syscalls["survivedWithout"] as? [String])?.contains("kill") == true, "\(run.stdout)")
        #expect((syscalls["needed"] as? [String])?.contains("execve") == true, "\(run.stdout)")
        #expect(syscalls["conclusion"] as? String == "finished", "\(run.stdout)")
        #expect(try String(contentsOfFile: "\(dir)/p.json", encoding: .utf8) == widened)
    }

    /// A command needs the list: without --caps it is refused before anything runs.
    @Test func aCommandNeedsAList() throws {
        let run = try Command.run([cinch, "minimize", "--seccomp", "/nonexistent.json", "--", "true"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--caps or --caps-file"), "\(run.stderr)")
    }

    /// Without a driver an engine's trial is judged by the container's exit status, which `--rm`
    /// throws away: refused before any container runs, instead of every trial failing.
    @Test func anEngineTrialWithoutADriverCannotUseRm() throws {
        let run = try Command.run([
            cinch, "minimize", "--podman", "--seccomp", "/nonexistent.json", "--caps", "CAP_CHOWN", "--", "--rm",
            "localhost/none", "true",
        ])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("leave --rm out"), "\(run.stderr)")
    }

    /// A list that names no capability, or a malformed list file, stops it before any run, with
    /// the name or the file and line.
    @Test func badListsAreRefusedBeforeAnyRun() throws {
        let dir = try Command.temporaryDirectory("minimize")
        defer { Command.removeDirectory(dir) }
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
            toFile: "\(dir)/allow.json", atomically: true, encoding: .utf8)
        try "CAP_CHOWN\nCAP_KILL;rm\n".write(toFile: "\(dir)/bad.caps", atomically: true, encoding: .utf8)
        let marker = "\(dir)/ran"
        let command = ["--", "/bin/busybox", "touch", marker]
        let unknown = try Command.run(
            [cinch, "minimize", "--seccomp", "\(dir)/allow.json", "--caps", "CAP_CHOWN,made_up"] + command)
        #expect(unknown.status == 64, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("not Linux capabilities: CAP_MADE_UP"), "\(unknown.stderr)")
        let malformed = try Command.run(
            [cinch, "minimize", "--seccomp", "\(dir)/allow.json", "--caps-file", "\(dir)/bad.caps"] + command)
        #expect(malformed.status == 64, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("\(dir)/bad.caps:2"), "\(malformed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
