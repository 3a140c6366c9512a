// SPDX-License-Identifier: Apache-2.0
// `cinch generate capabilities` as users run it: formats, exit codes, atomic output, diff, audit, real runc.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

/// Writes `trace` as a trace file.
private func write(_ trace: Trace, to path: String) throws {
    try trace.jsonValue().rendered().write(toFile: path, atomically: true, encoding: .utf8)
}

/// A trace that observed capability checks and saw `capabilities`.
private func observedTrace(_ capabilities: Set<String>, noNewPrivileges: Bool? = true) -> Trace {
    Trace(
        source: .init(kind: "ptrace", bundle: "/tmp/bundle", runtime: "runc", noNewPrivileges: noNewPrivileges),
        capabilities: capabilities, observed: [.capabilities])
}

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct CapabilitiesCLITests {
    let cinch = TestEnvironment.product("cinch")

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("caps")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    /// The traces behind the library's goldens (CapabilityProfileGeneratorTests), as files.
    func writeGoldenTraces(in dir: String) throws -> [String] {
        try write(observedTrace(["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]), to: "\(dir)/web.json")
        try write(observedTrace(["CAP_SYS_PTRACE", "CAP_CHOWN"]), to: "\(dir)/debug.json")
        return ["\(dir)/web.json", "\(dir)/debug.json"]
    }

    // MARK: - Formats

    @Test(arguments: [
        ("text", "capabilities-text.txt"), ("docker", "capabilities-docker.txt"), ("oci", "capabilities-oci.json"),
        ("compose", "capabilities-compose.yaml"), ("kubernetes", "capabilities-kubernetes.yaml"),
    ])
    func everyFormatMatchesTheLibraryGolden(format: String, golden: String) throws {
        try withDirectory { dir in
            let traces = try writeGoldenTraces(in: dir)
            let stdout = try Command.run([cinch, "generate", "capabilities", "-q", "--format", format] + traces)
            #expect(stdout.status == 0, "\(stdout.stderr)")
            #expect(stdout.stderr == "", "-q prints nothing when all is well")
            expectMatchesGolden(stdout.stdout, golden)

            let file = try Command.run(
                [cinch, "generate", "capabilities", "-q", "--format", format, "-o", "\(dir)/out"] + traces.reversed())
            #expect(file.status == 0, "\(file.stderr)")
            #expect(file.stdout == "")
            #expect(try String(contentsOfFile: "\(dir)/out", encoding: .utf8) == stdout.stdout)
        }
    }

    @Test func textIsTheDefaultFormat() throws {
        try withDirectory { dir in
            let traces = try writeGoldenTraces(in: dir)
            let plain = try Command.run([cinch, "generate", "capabilities", "-q"] + traces)
            let text = try Command.run([cinch, "generate", "capabilities", "-q", "--format", "text"] + traces)
            #expect(plain.status == 0)
            #expect(plain.stdout == text.stdout)
            #expect(plain.stdout.split(separator: "\n").allSatisfy { CapabilityList.isKnown(String($0)) })
        }
    }

    @Test func observedButEmptyGivesCapDropAllOnly() throws {
        try withDirectory { dir in
            try write(observedTrace([]), to: "\(dir)/idle.json")
            let docker = try Command.run([cinch, "generate", "capabilities", "--format", "docker", "\(dir)/idle.json"])
            #expect(docker.status == 0, "\(docker.stderr)")
            #expect(docker.stdout == "--cap-drop=ALL\n")
            #expect(docker.stderr.contains("every capability dropped"), "\(docker.stderr)")
            let text = try Command.run([cinch, "generate", "capabilities", "-q", "\(dir)/idle.json"])
            #expect(text.status == 0)
            #expect(text.stdout == "")
        }
    }

    @Test func notesSayWhatDockersDefaultSetHas() throws {
        try withDirectory { dir in
            let traces = try writeGoldenTraces(in: dir)
            let result = try Command.run([cinch, "generate", "capabilities", "--format", "docker"] + traces)
            #expect(result.status == 0)
            #expect(result.stderr.contains("CAP_SYS_PTRACE is not in Docker's default set"), "\(result.stderr)")
            #expect(result.stderr.contains("CAP_NET_BIND_SERVICE is in Docker's default set"))
            #expect(result.stderr.contains("CAP_CHOWN is in Docker's default set"))
            #expect(result.stderr.contains("drops 12 of Docker's 14 default capabilities"))
        }
    }

    // MARK: - Round trips

    /// Two text outputs are what `cinch diff` reads as capability lists: the diff names the
    /// capability the second recording added, and a list equals itself.
    @Test func textOutputsDiffWithCinchDiff() throws {
        try withDirectory { dir in
            try write(observedTrace(["CAP_NET_BIND_SERVICE"]), to: "\(dir)/old.json")
            try write(observedTrace(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]), to: "\(dir)/new.json")
            try write(observedTrace([]), to: "\(dir)/none.json")
            for name in ["old", "new", "none"] {
                let generate = try Command.run([
                    cinch, "generate", "capabilities", "-q", "\(dir)/\(name).json", "-o", "\(dir)/\(name).caps",
                ])
                #expect(generate.status == 0, "\(generate.stderr)")
            }
            let diff = try Command.run([cinch, "diff", "\(dir)/old.caps", "\(dir)/new.caps"])
            #expect(diff.status == 1, "\(diff.stdout)\(diff.stderr)")
            #expect(diff.stdout.contains("+ CAP_SYS_ADMIN  added"), "\(diff.stdout)")
            #expect(!diff.stdout.contains("CAP_NET_BIND_SERVICE"), "unchanged capabilities are not differences")

            let same = try Command.run([cinch, "diff", "\(dir)/old.caps", "\(dir)/old.caps"])
            #expect(same.status == 0, "\(same.stdout)\(same.stderr)")

            // "None needed" is an empty file, and still a capability list.
            let fromNone = try Command.run([cinch, "diff", "\(dir)/none.caps", "\(dir)/old.caps"])
            #expect(fromNone.status == 1, "\(fromNone.stdout)\(fromNone.stderr)")
            #expect(fromNone.stdout.contains("+ CAP_NET_BIND_SERVICE  added"), "\(fromNone.stdout)")
        }
    }

    /// The audit path: AppArmor complain-mode `capable` records become the list. The expected
    /// names are read from the fixture's records (by `capname=`, else by `capability=` number).
    @Test func auditIngestOfAppArmorRecordsGivesTheirCapabilities() throws {
        let log = Fixture.path("audit/apparmor-avc.log")
        var expected = Set<String>()
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        where line.contains("operation=\"capable\"") {
            let fields = line.split(separator: " ")
            if let capname = fields.first(where: { $0.hasPrefix("capname=") }) {
                expected.insert(CapabilityList.canonical(capname.dropFirst(8).filter { $0 != "\"" }))
            } else if let number = fields.first(where: { $0.hasPrefix("capability=") }).flatMap({
                Int($0.dropFirst(11))
            }) {
                expected.insert(CapabilityList.all[number])
            }
        }
        #expect(expected.count == 2, "the fixture has two capable records")
        try withDirectory { dir in
            let ingest = try Command.run([cinch, "audit", "ingest", "-q", log, "-o", "\(dir)/t.json"])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let generate = try Command.run([cinch, "generate", "capabilities", "-q", "\(dir)/t.json"])
            #expect(generate.status == 0, "\(generate.stderr)")
            #expect(generate.stdout == expected.sorted().map { $0 + "\n" }.joined())
        }
    }

    // MARK: - Refusals and exit codes

    @Test func refusesATraceThatDidNotObserveCapabilitiesAndWritesNothing() throws {
        try withDirectory { dir in
            // A real trace without "observed": it lists capabilities, but nobody said it looked.
            let unobserved = Fixture.path("traces/observations.trace.json")
            try write(observedTrace(["CAP_CHOWN"]), to: "\(dir)/good.json")
            try "previous\n".write(toFile: "\(dir)/out.caps", atomically: true, encoding: .utf8)
            let result = try Command.run([
                cinch, "generate", "capabilities", "-q", "\(dir)/good.json", unobserved, "-o", "\(dir)/out.caps",
            ])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("\(unobserved) ($.observed): error:"), "\(result.stderr)")
            #expect(result.stderr.contains("cinch record"))
            #expect(result.stderr.contains("cinch audit ingest"))
            #expect(!result.stderr.contains("good.json"), "only the refused trace is named")
            #expect(try String(contentsOfFile: "\(dir)/out.caps", encoding: .utf8) == "previous\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["good.json", "out.caps"])
        }
    }

    /// Trace files are hostile: a name that would inject YAML, JSON or a flag fails the command
    /// in every format, names the file, and creates no output.
    @Test(arguments: [
        "CAP_X\n- privileged: true", "CAP_CHOWN\", \"privileged\": true, \"x\": \"", "CAP_CHOWN --privileged",
        "cap_chown", "CAP_CHECKPOINT_RESTORE_2",
    ])
    func refusesNamesThatAreNotLinuxCapabilities(name: String) throws {
        try withDirectory { dir in
            try write(observedTrace(["CAP_NET_BIND_SERVICE", name]), to: "\(dir)/hostile.json")
            for format in ["text", "docker", "oci", "compose", "kubernetes"] {
                let result = try Command.run([
                    cinch, "generate", "capabilities", "--format", format, "\(dir)/hostile.json", "-o", "\(dir)/out",
                ])
                #expect(result.status == 64, "\(format): \(result.stderr)")
                #expect(result.stderr.contains("\(dir)/hostile.json ($.capabilities): error:"), "\(result.stderr)")
                #expect(!result.stderr.contains("privileged: true\n"), "the name is escaped in the message")
                #expect(!FileManager.default.fileExists(atPath: "\(dir)/out"))
            }
        }
    }

    @Test func unreadableTracesExit64() throws {
        try withDirectory { dir in
            try "{\"cinchTrace\": 1, \"capabilities\": [1]}".write(
                toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
            for trace in ["\(dir)/missing.json", "\(dir)/bad.json"] {
                let result = try Command.run([cinch, "generate", "capabilities", trace, "-o", "\(dir)/out"])
                #expect(result.status == 64, "\(result.stderr)")
                #expect(result.stderr.contains(trace), "\(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: "\(dir)/out"))
            }
            let none = try Command.run([cinch, "generate", "capabilities"])
            #expect(none.status == 64)
        }
    }

    @Test func unwritableOutputExits73AndLeavesNothingBehind() throws {
        try withDirectory { dir in
            try write(observedTrace(["CAP_CHOWN"]), to: "\(dir)/t.json")
            let missing = try Command.run([
                cinch, "generate", "capabilities", "-q", "\(dir)/t.json", "-o", "\(dir)/no-such-dir/out",
            ])
            #expect(missing.status == 73, "\(missing.stderr)")
            #expect(missing.stderr.contains("\(dir)/no-such-dir/out"))
            let directory = try Command.run([cinch, "generate", "capabilities", "-q", "\(dir)/t.json", "-o", dir])
            #expect(directory.status == 73, "\(directory.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.json"])
        }
    }

    /// The output replaces an existing file by rename (a new inode, no temporary left over), and
    /// two runs write the same bytes.
    @Test func outputReplacesAnExistingFileAtomically() throws {
        try withDirectory { dir in
            try write(observedTrace(["CAP_KILL", "CAP_CHOWN"]), to: "\(dir)/t.json")
            try "old list\n".write(toFile: "\(dir)/out", atomically: false, encoding: .utf8)
            let before = try FileManager.default.attributesOfItem(atPath: "\(dir)/out")[.systemFileNumber] as? Int
            let first = try Command.run([cinch, "generate", "capabilities", "-q", "\(dir)/t.json", "-o", "\(dir)/out"])
            #expect(first.status == 0, "\(first.stderr)")
            let after = try FileManager.default.attributesOfItem(atPath: "\(dir)/out")[.systemFileNumber] as? Int
            #expect(before != after, "written to a new file and renamed over the old one")
            let written = try String(contentsOfFile: "\(dir)/out", encoding: .utf8)
            #expect(written == "CAP_CHOWN\nCAP_KILL\n")
            _ = try Command.run([cinch, "generate", "capabilities", "-q", "\(dir)/t.json", "-o", "\(dir)/out"])
            #expect(try String(contentsOfFile: "\(dir)/out", encoding: .utf8) == written)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["out", "t.json"])
        }
    }
}

/// Proof by replay with real runc: the generated list runs busybox httpd on port 80, and the
/// same list without CAP_NET_BIND_SERVICE does not (uid 0 needs it to bind a port below 1024).
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(4))
)
struct CapabilityReplayTests {
    let cinch = TestEnvironment.product("cinch")

    func expectNoLeftovers(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(RuntimeState.leftoverContainers() == [], sourceLocation: sourceLocation)
    }

    /// `cinch generate capabilities` in text format, as `cinch verify --caps` takes it.
    func generatedList(from trace: String) throws -> [String] {
        let generate = try Command.run([cinch, "generate", "capabilities", "-q", trace])
        #expect(generate.status == 0, "\(generate.stderr)")
        return generate.stdout.split(separator: "\n").map(String.init)
    }

    /// A name that is no capability stops verify before any container runs.
    @Test func verifyRejectsWhatIsNotACapability() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: true)
        defer { bundle.remove() }
        let dir = bundle.directory
        try "CAP_CHOWN\nCAP_MADE_UP\n".write(toFile: "\(dir)/bad.caps", atomically: true, encoding: .utf8)
        let profile = try Command.run([cinch, "audit", "log-profile", "-o", "\(dir)/p.json"])
        try #require(profile.status == 0, "\(profile.stderr)")
        for flags in [["--caps", "chown,made_up"], ["--caps-file", "\(dir)/bad.caps"]] {
            let verify = try Command.run([cinch, "verify", "--bundle", dir, "--seccomp", "\(dir)/p.json"] + flags)
            #expect(verify.status == 64, "\(verify.stderr)")
            #expect(verify.stderr.contains("not Linux capabilities: CAP_MADE_UP"), "\(verify.stderr)")
        }
        expectNoLeftovers()
    }

    /// Both noNewPrivileges settings: without it runc installs the container's filter before it
    /// drops privileges (capset, setgroups), checks that belong to the runtime, not to httpd.
    @Test(arguments: [true, false])
    func generatedListRunsHttpdOnPort80AndFailsWithoutNetBindService(noNewPrivileges: Bool) throws {
        let bundle = try BusyboxBundle(
            arguments: ["httpd", "-f", "-p", "127.0.0.1:80", "-h", "/www"], noNewPrivileges: noNewPrivileges)
        defer { bundle.remove() }
        let dir = bundle.directory
        let container = [
            "--bundle", dir, "--driver", "wget -q -O - http://127.0.0.1:80/ | grep -q cinch", "--wait-port", "80",
            "--grace", "1", "--timeout", "40",
        ]
        // The seccomp profile verify needs: recorded from the same container, twice (runc's Go
        // init makes timing-dependent syscalls after its filter is in; see ContainerTests).
        let record = try Command.run([cinch, "record", "-q", "--runs", "2", "-o", "\(dir)/t.json"] + container)
        #expect(record.status == 0, "\(record.stderr)")
        expectNoLeftovers()
        let seccomp = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        try #require(seccomp.status == 0, "\(seccomp.stderr)")

        // A trace made by hand that observed exactly what httpd needs; and the recording itself
        // when the recorder observed capability checks (it must have seen the bind), else it
        // must be refused rather than read as "none needed".
        try write(observedTrace(["CAP_NET_BIND_SERVICE"]), to: "\(dir)/hand.json")
        var sources = ["\(dir)/hand.json"]
        let recorded = try Trace.load(path: "\(dir)/t.json")
        // Kernels with the capability:cap_capable tracepoint (Linux 6.14+, as on CI) must observe.
        let kernelObserves =
            TestEnvironment.isCI
            || FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/capability/cap_capable")
        #expect(recorded.observed.contains(.capabilities) || !kernelObserves, "\(recorded.observed)")
        if recorded.observed.contains(.capabilities) {
            #expect(recorded.capabilities.contains("CAP_NET_BIND_SERVICE"), "\(recorded.capabilities.sorted())")
            let runtimeOwn: Set<String> = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SYS_ADMIN"]
            #expect(recorded.capabilities.isDisjoint(with: runtimeOwn), "\(recorded.capabilities.sorted())")
            sources.append("\(dir)/t.json")
        } else {
            let refused = try Command.run([cinch, "generate", "capabilities", "\(dir)/t.json"])
            #expect(refused.status == 64, "\(refused.stderr)")
        }

        for source in sources {
            let list = try generatedList(from: source)
            #expect(list.contains("CAP_NET_BIND_SERVICE"), "\(source): \(list)")
            // The file as generated goes straight to verify; the list without one name as --caps.
            let file = "\(source).caps"
            let write = try Command.run([cinch, "generate", "capabilities", "-q", source, "-o", file])
            #expect(write.status == 0, "\(write.stderr)")
            let granted = try Command.run(
                [cinch, "verify", "--seccomp", "\(dir)/p.json", "--caps-file", file] + container)
            #expect(granted.status == 0, "\(source): \(granted.stdout)\(granted.stderr)")
            #expect(granted.stdout.contains("verify: ok"), "\(granted.stdout)")
            expectNoLeftovers()

            let without = list.filter { $0 != "CAP_NET_BIND_SERVICE" }
            let denied = try Command.run(
                [cinch, "verify", "--seccomp", "\(dir)/p.json", "--caps", without.joined(separator: ",")] + container)
            #expect(denied.status == 1, "\(source): \(denied.stdout)\(denied.stderr)")
            #expect(denied.stdout.contains("verify: FAILED"), "\(denied.stdout)")
            // It failed for the capability, not for a busy port or a denied syscall.
            #expect(denied.stderr.contains("bind: Permission denied"), "\(denied.stderr)")
            expectNoLeftovers()
        }
    }
}
