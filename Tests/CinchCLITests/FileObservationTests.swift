// SPDX-License-Identifier: Apache-2.0
// One recording, three artifacts: ptrace sees the files, programs and sockets, and AppArmor follows.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

/// `cinch record --files` of real commands and containers, then `cinch generate apparmor` and
/// `apparmor_parser -Q -K` (this kernel has no AppArmor, so profiles are compiled, never loaded).
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            TestEnvironment.isRoot && TestEnvironment.hasProduct("cinch") && TestEnvironment.hasTool("apparmor_parser")
                && TestEnvironment.hasTool("python3")),
        "needs root, the built cinch, apparmor_parser and python3"),
    .timeLimit(.minutes(4))
)
struct FileObservationTests {
    let cinch = TestEnvironment.product("cinch")

    /// Compiles `profile` with `apparmor_parser -Q -K` and returns its rule dump
    /// (`-D rule-exprs`: each rule as the regular expression the parser made of it).
    func compile(_ profile: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try Command.run(["apparmor_parser", "-Q", "-K", "-D", "rule-exprs", profile])
        #expect(result.status == 0, "apparmor_parser: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout + result.stderr
    }

    /// The command acceptance: a dirfd-relative open, a changed cwd, a symbolic link and a program run
    /// by a relative path are named by their resolved paths; a missing file is a failed access with
    /// no rule; the workload's own /proc entry is an @{pid} rule.
    @Test func commandPathsAreResolvedAsTheKernelResolvedThem() throws {
        let directory = try Command.temporaryDirectory("files")
        defer { Command.removeDirectory(directory) }
        let manager = FileManager.default
        for sub in ["data", "work", "real", "bin"] {
            try manager.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
        }
        try "a\n".write(toFile: "\(directory)/data/by-dirfd.txt", atomically: true, encoding: .utf8)
        try "b\n".write(toFile: "\(directory)/work/by-cwd.txt", atomically: true, encoding: .utf8)
        try "c\n".write(toFile: "\(directory)/real/target.txt", atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: "\(directory)/link.txt", withDestinationPath: "real/target.txt")
        try "#!/bin/sh\ncat /proc/self/status > /dev/null\n".write(
            toFile: "\(directory)/bin/tool", atomically: true, encoding: .utf8)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(directory)/bin/tool")
        let script = """
            import os
            d = os.open("data", os.O_RDONLY | os.O_DIRECTORY)
            os.close(os.open("by-dirfd.txt", os.O_RDONLY, dir_fd=d))
            os.chdir("work")
            open("by-cwd.txt").read()
            open("../link.txt").read()
            try:
                open("missing.conf").read()
            except FileNotFoundError:
                pass
            os.chdir("..")
            os.spawnv(os.P_WAIT, "./bin/tool", ["./bin/tool"])
            """
        try script.write(toFile: "\(directory)/probe.py", atomically: true, encoding: .utf8)
        let record = try Command.run(
            [cinch, "record", "-q", "--files", "-o", "\(directory)/t.json", "--", "python3", "probe.py"],
            directory: directory)
        try #require(record.status == 0, "\(record.stderr)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(trace.observed.isSuperset(of: [.files, .network]))
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        #expect(trace.files["\(real)/data/by-dirfd.txt"] == ["r"])
        #expect(trace.files["\(real)/work/by-cwd.txt"] == ["r"])
        #expect(trace.files["\(real)/real/target.txt"] == ["r"], "the link is followed to its target")
        #expect(trace.files["\(real)/link.txt"] == nil)
        #expect(trace.files["\(real)/data/"]?.contains("r") == true, "an opened directory ends with /")
        #expect(trace.files["\(real)/bin/tool"]?.contains("x") == true, "\(trace.files.keys.sorted())")
        #expect(trace.failedFiles["\(real)/work/missing.conf"]?.errors == ["ENOENT"])
        #expect(trace.processFiles["status"] == ["r"], "the script's /proc/self is its own process")

        let generate = try Command.run([
            cinch, "generate", "apparmor", "\(directory)/t.json", "-o", "\(directory)/profile",
        ])
        try #require(generate.status == 0, "\(generate.stderr)")
        let profile = try String(contentsOfFile: "\(directory)/profile", encoding: .utf8)
        #expect(profile.contains("  \(real)/bin/tool rix,"), "run (x) and read by its interpreter (r)")
        #expect(profile.contains("  \(real)/real/target.txt r,"))
        #expect(profile.contains("  @{PROC}/@{pid}/status r,"))
        #expect(!profile.contains("missing.conf"), "a failed access gets no rule")
        #expect(generate.stderr.contains("[apparmor.failed-accesses]"))
        _ = try compile("\(directory)/profile")

        // Proven by enforcement: the workload runs under the profile's Landlock ruleset; without the
        // rule for the file reached through the symbolic link it is denied, and cinch names it.
        let run = [cinch, "run", "--apparmor"]
        let workload = ["--", "python3", "probe.py"]
        let passed = try Command.run(run + ["\(directory)/profile"] + workload, directory: directory)
        #expect(passed.status == 0, "\(passed.stderr)")
        let narrowed = profile.split(separator: "\n", omittingEmptySubsequences: false).filter {
            $0 != "  \(real)/real/target.txt r,"
        }
        try narrowed.joined(separator: "\n").write(
            toFile: "\(directory)/narrowed", atomically: true, encoding: .utf8)
        let denied = try Command.run(run + ["\(directory)/narrowed"] + workload, directory: directory)
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("Landlock denied \(real)/real/target.txt (fs.read_file)"), "\(denied.stderr)")
    }

    /// Files the recorded workload creates with names written to break a profile stay literal: the
    /// parser compiles the profile, and its own rule dump shows each of them as an exact path.
    @Test func hostileNamesCreatedByTheWorkloadStayLiteral() throws {
        let directory = try Command.temporaryDirectory("hostile")
        defer { Command.removeDirectory(directory) }
        let names = ["x, @{HOME} rwx,", "a\n owner @{HOME} rw,", "{,**}", "q\" rw, @{PROC} r,"]
        let script = """
            import sys
            for name in sys.argv[1:]:
                open(name, "w").close()
            """
        try script.write(toFile: "\(directory)/make.py", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(directory)/out", withIntermediateDirectories: true)
        let record = try Command.run(
            [cinch, "record", "-q", "--files", "-o", "\(directory)/t.json", "--", "python3", "../make.py"] + names,
            directory: "\(directory)/out")
        try #require(record.status == 0, "\(record.stderr)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        let out = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path + "/out/"
        for name in names {
            #expect(trace.files[out + name]?.isSuperset(of: ["w", "c"]) == true, "\(name): \(trace.files.keys)")
        }
        let generate = try Command.run([cinch, "generate", "apparmor", "\(directory)/t.json", "-o", "\(directory)/p"])
        try #require(generate.status == 0, "\(generate.stderr)")
        #expect(generate.stderr.contains("contains a control character"), "the newline name is left out")
        let dump = try compile("\(directory)/p")
        // Every allow rule below the output directory is one of the literal names: its regular
        // expression has no operator left once escaped characters are removed.
        let rules = dump.split(separator: "\n").filter { $0.hasPrefix("rule: ") && $0.contains(out) }
        #expect(rules.count == 3, "\(rules)")
        for rule in rules {
            let expression = rule.dropFirst(6).split(separator: " ").first.map(String.init) ?? ""
            var unescaped = ""
            var escaped = false
            for character in expression {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    unescaped.append(character)
                }
            }
            #expect(!unescaped.contains(where: { "*?[]{}()|+.".contains($0) }), "\(rule)")
        }
    }
}

extension FileObservationTests {
    /// Audit and ptrace agree: the same workload recorded with `cinch record --files` and the AVC
    /// records AppArmor writes for it in complain mode (`Tests/Fixtures/audit/agree-avc.log`,
    /// written by hand in the kernel's format, since this kernel has no AppArmor) give the same
    /// file rules, the workload's own `/proc/PID/status` included.
    @Test func auditAndPtraceGiveTheSameFileRules() throws {
        let work = "/tmp/cinch-agree"
        Command.removeDirectory(work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { Command.removeDirectory(work) }
        try "in\n".write(toFile: "\(work)/in.txt", atomically: true, encoding: .utf8)
        let directory = try Command.temporaryDirectory("agree")
        defer { Command.removeDirectory(directory) }
        let workload =
            "cd \(work); cat in.txt > out.txt; mkdir sub; mv out.txt sub/moved.txt; ln -s in.txt sym; rm sub/moved.txt; cat /proc/self/status > /dev/null"
        let record = try Command.run([
            cinch, "record", "-q", "--files", "-o", "\(directory)/ptrace.json", "--", "/usr/bin/busybox", "sh", "-c",
            workload,
        ])
        try #require(record.status == 0, "\(record.stderr)")
        let ingest = try Command.run([
            cinch, "audit", "ingest", Fixture.path("audit/agree-avc.log"), "-o", "\(directory)/audit.json",
        ])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        func fileRules(_ trace: String) throws -> [String] {
            let result = try Command.run([
                cinch, "generate", "apparmor", "-q", "--name", "agree", "\(directory)/\(trace)",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("  /") || $0.hasPrefix("  @{PROC}")
            }
        }
        let fromPtrace = try fileRules("ptrace.json")
        #expect(fromPtrace.contains("  @{PROC}/@{pid}/status r,"), "\(fromPtrace)")
        #expect(fromPtrace.contains("  /tmp/cinch-agree/sub/moved.txt w,"), "\(fromPtrace)")
        #expect(fromPtrace == (try fileRules("audit.json")))
    }
}

/// The container acceptance, recording half: busybox httpd serving a page and a CGI script,
/// recorded with runc and crun; the profile names the script, the page and the data the script
/// reads, and compiles.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")
                && TestEnvironment.hasTool("apparmor_parser")),
        "needs root, busybox-static, runc, crun, apparmor_parser and the built cinch"),
    .timeLimit(.minutes(4))
)
struct ContainerFileObservationTests {
    let cinch = TestEnvironment.product("cinch")

    @Test(arguments: [("runc", 18131), ("crun", 18132)])
    func httpdWithCGIGivesACompilingProfile(runtime: String, port: Int) throws {
        let bundle = try BusyboxBundle.httpdWithCGI(port: port)
        defer { bundle.remove() }
        let dir = bundle.directory
        let driver =
            "wget -q -O - http://127.0.0.1:\(port)/ | grep -q cinch && wget -q -O - http://127.0.0.1:\(port)/cgi-bin/hello.cgi | grep -q secret"
        let record = try Command.run([
            cinch, "record", "-q", "-o", "\(dir)/t.json", "--bundle", dir, "--runtime", runtime, "--driver", driver,
            "--wait-port", "\(port)", "--grace", "1", "--timeout", "40",
        ])
        try #require(record.status == 0, "\(record.stderr)")
        let trace = try Trace.load(path: "\(dir)/t.json")
        #expect(trace.observed.isSuperset(of: [.files, .network, .capabilities]), "on by default with --bundle")
        #expect(trace.files["/www/index.html"] == ["r"])
        #expect(trace.files["/www/cgi-bin/hello.cgi"]?.contains("x") == true, "\(trace.files)")
        #expect(trace.files["/www/secret.txt"] == ["r"])
        #expect(trace.files["/bin/busybox"]?.contains("x") == true)
        #expect(
            !trace.files.keys.contains { $0.hasPrefix("/proc/self") || $0.contains("rootfs") },
            "paths are the container's own, and runtime steps before the entrypoint do not count: \(trace.files.keys)")
        #expect(trace.sockets.contains(.init(operation: "bind", family: "inet", address: "127.0.0.1", port: port)))
        #expect(trace.network.contains { $0.family == "inet" && $0.socketType == "stream" })
        let generate = try Command.run([cinch, "generate", "apparmor", "\(dir)/t.json", "-o", "\(dir)/profile"])
        try #require(generate.status == 0, "\(generate.stderr)")
        let profile = try String(contentsOfFile: "\(dir)/profile", encoding: .utf8)
        for rule in ["/www/cgi-bin/hello.cgi rix,", "/www/index.html r,", "/bin/busybox ix,", "network inet stream,"] {
            #expect(profile.contains("  " + rule), "\(profile)")
        }
        let compile = try Command.run(["apparmor_parser", "-Q", "-K", "\(dir)/profile"])
        #expect(compile.status == 0, "\(compile.stderr)")

        // Proven by enforcement: the recorded profile's file rules as a Landlock ruleset inside the
        // container pass; without the CGI script's rule, or the page's, verify fails naming it.
        let verify = [
            cinch, "verify", "--bundle", dir, "--runtime", runtime, "--driver", driver, "--wait-port", "\(port)",
            "--grace", "1", "--timeout", "40", "--apparmor",
        ]
        let passed = try Command.run(verify + ["\(dir)/profile"])
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        for (rule, path) in [
            ("/www/cgi-bin/hello.cgi rix,", "/www/cgi-bin/hello.cgi"), ("/www/index.html r,", "/www/index.html"),
        ] {
            let narrowed = profile.split(separator: "\n", omittingEmptySubsequences: false).filter { $0 != "  " + rule }
            try narrowed.joined(separator: "\n").write(toFile: "\(dir)/narrowed", atomically: true, encoding: .utf8)
            let failed = try Command.run(verify + ["\(dir)/narrowed"])
            #expect(failed.status == 1, "without \(rule): \(failed.stdout)\(failed.stderr)")
            #expect(failed.stdout.contains("Landlock denied"), "\(failed.stdout)")
            #expect(failed.stdout.contains("  \(path) ("), "the denied path is named: \(failed.stdout)")
        }
        #expect(RuntimeState.leftoverContainers() == [])
    }
}
