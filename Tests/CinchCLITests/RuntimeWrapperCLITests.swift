// SPDX-License-Identifier: Apache-2.0
// cinch-runtime under real engines: podman (conmon), containerd (ctr and its runc shim) and runc
// itself; the profile from each recording is replayed by the engine without cinch.

import CinchLinux
import CinchTestSupport
import Foundation
import Testing

/// Runs a command with cinch's own spawn-and-waitpid runner. Foundation's `Process` here can miss
/// the exit of a `podman run -d` whose conmon outlives it (a zombie nobody reaps, and the test
/// hangs), so these tests do not use it for the engines.
private func run(_ arguments: [String]) throws -> CommandResult {
    let outcome = try ProcessRunner.run(arguments)
    return CommandResult(status: outcome.shellStatus, stdout: outcome.outputText, stderr: outcome.errorText)
}

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            BusyboxBundle.isAvailable && TestEnvironment.hasTool("podman") && TestEnvironment.hasTool("ctr")
                && TestEnvironment.hasProduct("cinch")),
        "needs root, podman, containerd (ctr), busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(5))
)
struct RuntimeWrapperCLITests {
    let cinch = TestEnvironment.product("cinch")
    let traces = "/var/lib/cinch/traces"
    let image = "localhost/cinch-test-wrapper:latest"
    let limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
    static let unfinished = "The recorder has not finished"

    /// A directory with `cinch-runtime` and `cinch-runtime-crun` linked to the built cinch.
    func wrappers() throws -> String {
        let directory = try Command.temporaryDirectory("wrapper")
        for name in ["cinch-runtime", "cinch-runtime-crun"] {
            try FileManager.default.createSymbolicLink(atPath: "\(directory)/\(name)", withDestinationPath: cinch)
        }
        return directory
    }

    /// Imports the busybox root filesystem of `bundle` as `image` into podman.
    func importImage(_ bundle: BusyboxBundle) throws {
        let dir = bundle.directory
        #expect(try run(["tar", "-C", "\(dir)/rootfs", "-cf", "\(dir)/rootfs.tar", "."]).status == 0)
        let imported = try run(["podman", "import", "-q", "\(dir)/rootfs.tar", image])
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    /// A busybox image in podman, the wrapper links and a trace name, removed after `body`.
    struct Stage {
        let bundle: BusyboxBundle
        let wrapper: String
        let name: String
    }

    func staged(_ kind: String, _ body: (Stage) throws -> Void) throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let wrapper = try wrappers()
        defer { Command.removeDirectory(wrapper) }
        let name = "\(kind)-\(getpid()).json"
        removeTrace(name)
        defer { removeTrace(name) }
        try body(Stage(bundle: bundle, wrapper: wrapper, name: name))
    }

    /// The trace the recorder wrote, once it replaced the wrapper's placeholder.
    func finishedTrace(_ name: String) throws -> [String: Any] {
        let path = "\(traces)/\(name)"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: path),
                let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                !((trace["incompleteReasons"] as? [String]) ?? []).contains(where: { $0.hasPrefix(Self.unfinished) })
            {
                return trace
            }
            usleep(50_000)
        }
        Issue.record("no finished trace at \(path)")
        return [:]
    }

    /// Removes the trace `name`, its log, and the traces of execs into its container.
    func removeTrace(_ name: String) {
        let stem = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        let execs = ((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? []).filter {
            $0.hasPrefix(stem + ".exec-")
        }
        for path in ["\(traces)/\(name)", "\(traces)/\(name).log"] + execs.map({ "\(traces)/\($0)" }) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The x86_64 syscall names of a trace read with JSONSerialization.
    func syscallNames(_ trace: [String: Any]) -> Set<String> {
        let abis = trace["abis"] as? [String: Any]
        return Set(((abis?["x86_64"] as? [String: Any])?["syscalls"] as? [String: Any] ?? [:]).keys)
    }

    func fetch(port: Int) throws -> CommandResult {
        var result = try run(["wget", "-q", "-T", "2", "-O-", "http://127.0.0.1:\(port)/"])
        for _ in 0..<40 where result.status != 0 {
            usleep(100_000)
            result = try run(["wget", "-q", "-T", "2", "-O-", "http://127.0.0.1:\(port)/"])
        }
        return result
    }

    /// The acceptance run: podman's defaults (noNewPrivileges false, podman's capabilities, crun),
    /// through the wrapper with the annotation; the profile passes the driver under plain podman,
    /// and the same profile without `bind` does not.
    @Test func podmanRecordsAnAnnotatedContainerAndItsProfileReplays() throws {
        try staged("podman-acceptance") { stage in
            let (bundle, wrapper, name) = (stage.bundle, stage.wrapper, stage.name)
            let port = 18_300 + Int(getpid() % 100)
            let httpd = [image, "httpd", "-f", "-p", "\(port)", "-h", "/www"]
            let started = try run(
                ["podman", "run", "-d", "--name", "cinch-wrap-\(getpid())", "--network", "host"] + limits
                    + ["--runtime", "\(wrapper)/cinch-runtime-crun", "--annotation", "cinch.dev/trace=\(name)"] + httpd)
            #expect(started.status == 0, "\(started.stderr)")
            let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let pid = try run(["podman", "inspect", "-f", "{{.State.Pid}}", id]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            #expect(status.contains("TracerPid:") && !status.contains("TracerPid:\t0\n"), "the container is traced")
            let fetched = try fetch(port: port)
            #expect(fetched.stdout == "<h1>cinch</h1>", "\(fetched)")
            #expect(try run(["podman", "stop", "-t", "1", id]).status == 0, "podman stops it as usual")
            #expect(try run(["podman", "rm", id]).status == 0)

            let trace = try finishedTrace(name)
            #expect(trace["complete"] as? Bool == true)
            let source = trace["source"] as? [String: Any] ?? [:]
            #expect(source["noNewPrivileges"] as? Bool == false, "podman's default")
            #expect(source["runtime"] as? String == "crun")
            #expect(source["containerID"] as? String == id)
            #expect(
                (source["replacedSeccomp"] as? [String: Any])?["defaultAction"] != nil, "podman's own profile is kept")
            let log = (try? String(contentsOfFile: "\(traces)/\(name).log", encoding: .utf8)) ?? ""
            #expect(log.contains("replaces the engine's seccomp profile"))

            let dir = bundle.directory
            let generate = try run([cinch, "generate", "seccomp", "\(traces)/\(name)", "-o", "\(dir)/p.json"])
            #expect(generate.status == 0, "\(generate.stderr)")
            for (profile, works) in [("p.json", true), ("p-no-bind.json", false)] {
                if !works {
                    #expect(
                        try ProfileEditing.removeSyscall("bind", from: "\(dir)/p.json", writingTo: "\(dir)/\(profile)"))
                }
                let replay = try run(
                    ["podman", "run", "-d", "--network", "host"] + limits
                        + ["--security-opt", "seccomp=\(dir)/\(profile)"] + httpd)
                let replayID = replay.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                defer { _ = try? run(["podman", "rm", "-f", "-t", "0", replayID]) }
                if works {
                    #expect(replay.status == 0, "\(replay.stderr)")
                    #expect(try fetch(port: port).stdout == "<h1>cinch</h1>", "the driver passes under the profile")
                } else {
                    usleep(500_000)
                    let fetched = try run(["wget", "-q", "-T", "2", "-O-", "http://127.0.0.1:\(port)/"])
                    #expect(fetched.status != 0, "without bind the service never listens")
                    let logs = try run(["podman", "logs", replayID])
                    #expect(logs.stderr.contains("bind") || logs.stdout.contains("bind"), "\(logs.stderr)")
                }
            }
        }
    }

    /// Killing the recorder kills the container with it (PTRACE_O_EXITKILL): nothing is left
    /// stopped, podman removes the container, and the trace says it is not complete.
    @Test func killingTheRecorderLeavesNothingBehind() throws {
        try staged("podman-killed") { stage in
            let (wrapper, name) = (stage.wrapper, stage.name)
            let started = try run(
                ["podman", "run", "-d"] + limits
                    + [
                        "--runtime", "\(wrapper)/cinch-runtime", "--annotation", "cinch.dev/trace=\(name)", image,
                        "sleep",
                        "300",
                    ])
            #expect(started.status == 0, "\(started.stderr)")
            let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            defer { _ = try? run(["podman", "rm", "-f", "-t", "0", id]) }
            let recorders = ProcessTable.processes(containing: "runtime-recorder").filter {
                $0.commandLine.contains(name)
            }
            #expect(recorders.count == 1, "\(recorders)")
            for recorder in recorders { kill(recorder.pid, SIGKILL) }
            var state = ""
            for _ in 0..<50 {
                state = try run(["podman", "inspect", "-f", "{{.State.Status}}", id]).stdout
                if state.hasPrefix("exited") { break }
                usleep(100_000)
            }
            #expect(state.hasPrefix("exited"), "the container ended with its tracer")
            let stopped = ProcessTable.processes(containing: "sleep 300").filter { $0.state == "T" || $0.state == "t" }
            #expect(stopped.isEmpty, "\(stopped)")
            #expect(try run(["podman", "rm", id]).status == 0, "podman can remove it")
            let data = FileManager.default.contents(atPath: "\(traces)/\(name)") ?? Data()
            let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            #expect(trace["complete"] as? Bool == false)
            #expect(((trace["incompleteReasons"] as? [String]) ?? []).contains { $0.hasPrefix(Self.unfinished) })
        }
    }

    /// containerd runs the wrapper as its runc binary (what a Kubernetes RuntimeClass selects),
    /// and the profile passes a replay under plain containerd.
    @Test func containerdRecordsThroughTheWrapperAndItsProfileReplays() throws {
        try staged("containerd") { stage in
            let (bundle, wrapper, name) = (stage.bundle, stage.wrapper, stage.name)
            let dir = bundle.directory
            let saved = try run(["podman", "save", "--format", "oci-archive", "-o", "\(dir)/oci.tar", image])
            #expect(saved.status == 0, "\(saved.stderr)")
            let imported = try run(["ctr", "images", "import", "\(dir)/oci.tar"])
            #expect(imported.status == 0, "\(imported.stderr)")
            defer { _ = try? run(["ctr", "images", "rm", image]) }
            let port = 18_400 + Int(getpid() % 100)
            let httpd = [image]
            func start(_ id: String, _ options: [String]) throws -> CommandResult {
                try run(
                    ["ctr", "run", "-d", "--net-host"] + options + httpd + [
                        id, "httpd", "-f", "-p", "\(port)", "-h", "/www",
                    ])
            }
            func remove(_ id: String) {
                _ = try? run(["ctr", "task", "kill", "-s", "KILL", id])
                for _ in 0..<50 where (try? run(["ctr", "task", "rm", id]).status) != 0 { usleep(100_000) }
                _ = try? run(["ctr", "containers", "rm", id])
            }
            let recorded = "cinch-ctr-\(getpid())"
            let started = try start(
                recorded, ["--runc-binary", "\(wrapper)/cinch-runtime", "--annotation", "cinch.dev/trace=\(name)"])
            #expect(started.status == 0, "\(started.stderr)")
            let fetched = try fetch(port: port)
            #expect(fetched.stdout == "<h1>cinch</h1>", "\(fetched)")
            // An exec probe comes through containerd's shim as `runc exec --process … --detach`.
            let probe = try run(["ctr", "task", "exec", "--exec-id", "probe", recorded, "/bin/busybox", "sync"])
            #expect(probe.status == 0, "an exec into the recorded container runs: \(probe.stderr)")
            remove(recorded)
            let trace = try finishedTrace(name)
            #expect((trace["source"] as? [String: Any])?["containerID"] as? String == recorded)
            let exec = try finishedTrace(String(name.dropLast(5)) + ".exec-1.json")
            #expect(syscallNames(exec).contains("sync"), "\(syscallNames(exec).sorted())")
            let generate = try run([cinch, "generate", "seccomp", "\(traces)/\(name)", "-o", "\(dir)/p.json"])
            #expect(generate.status == 0, "\(generate.stderr)")
            let replayed = "cinch-ctr-replay-\(getpid())"
            let replay = try start(replayed, ["--seccomp", "--seccomp-profile", "\(dir)/p.json"])
            defer { remove(replayed) }
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(try fetch(port: port).stdout == "<h1>cinch</h1>", "the driver passes under plain containerd")
        }
    }

    /// A container without the annotation runs exactly as under runc: untraced, config.json
    /// byte for byte the same, the same exit status.
    @Test func anUnannotatedContainerRunsUntracedAndUnchanged() throws {
        let bundle = try BusyboxBundle(arguments: ["sh", "-c", "cat /proc/1/status; exit 7"], noNewPrivileges: false)
        defer { bundle.remove() }
        let wrapper = try wrappers()
        defer { Command.removeDirectory(wrapper) }
        let config = "\(bundle.directory)/config.json"
        let before = FileManager.default.contents(atPath: config)
        let wrapped = try run([
            "\(wrapper)/cinch-runtime", "run", "--bundle", bundle.directory, "cinch-plain-\(getpid())",
        ])
        let plain = try run(["runc", "run", "--bundle", bundle.directory, "cinch-plain-runc-\(getpid())"])
        #expect(wrapped.status == 7, "\(wrapped.stderr)")
        #expect(wrapped.status == plain.status)
        #expect(wrapped.stdout.contains("TracerPid:\t0\n"), "\(wrapped.stdout)")
        #expect(FileManager.default.contents(atPath: config) == before, "config.json is untouched")
    }

    /// An annotation naming a file outside the trace directory is refused before anything runs.
    @Test(arguments: ["../../etc/cinch-annotated", "/etc/cinch-annotated"])
    func refusesATracePathOutsideTheTraceDirectory(annotation: String) throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        let config = "\(bundle.directory)/config.json"
        var json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [String: Any]
        json?["annotations"] = ["cinch.dev/trace": annotation]
        let data = try JSONSerialization.data(withJSONObject: json ?? [:])
        try data.write(to: URL(fileURLWithPath: config))
        let wrapper = try wrappers()
        defer { Command.removeDirectory(wrapper) }
        let result = try run(["\(wrapper)/cinch-runtime", "run", "--bundle", bundle.directory, "cinch-bad-\(getpid())"])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("refusing the trace path") && result.stderr.contains("cinch.dev/trace"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/cinch-annotated"))
        #expect(FileManager.default.contents(atPath: config) == data)
    }

    /// `cinch record --podman`: no bundle, no annotation by hand; the trace lands at -o and
    /// nothing is left in podman or the trace directory.
    @Test func recordPodmanWritesTheTraceOfAServiceItExercised() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let port = 18_500 + Int(getpid() % 100)
        let output = "\(bundle.directory)/t.json"
        let before = try run(["podman", "ps", "-aq"]).stdout
        let tracesBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        let record = try run(
            [
                cinch, "record", "--podman", "--wait-port", "\(port)", "--grace", "1", "--driver",
                "wget -q -O- http://127.0.0.1:\(port)/", "-o", output, "--", "--network", "host",
            ] + limits + [image, "httpd", "-f", "-p", "\(port)", "-h", "/www"])
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout == "<h1>cinch</h1>", "the driver's output")
        #expect(record.stderr.contains("replaces the engine's seccomp profile"), "\(record.stderr)")
        let data = FileManager.default.contents(atPath: output) ?? Data()
        let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        #expect(trace["complete"] as? Bool == true)
        let syscalls = ((trace["abis"] as? [String: Any])?["x86_64"] as? [String: Any])?["syscalls"] as? [String: Any]
        #expect(syscalls?["bind"] != nil, "the service's own syscalls are in the trace")
        #expect(syscalls?["accept"] != nil || syscalls?["accept4"] != nil)
        #expect(try run(["podman", "ps", "-aq"]).stdout == before, "the container is removed")
        let tracesAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        #expect(tracesAfter == tracesBefore, "the wrapper's copy was moved to -o")
    }

    /// Issue 15's fault injection for the engine path: SIGINT while cinch waits for a port that
    /// never opens stops and removes the container, exits 130 and writes the trace marked
    /// incomplete; SIGKILL of cinch leaves the container to the watchdog, which removes it.
    @Test(arguments: [SIGINT, SIGKILL])
    func aSignalToRecordPodmanLeavesNoContainer(signal: Int32) throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let marker = "\(Int.random(in: 100_000...999_999))"
        let output = "\(bundle.directory)/t.json"
        let before = try run(["podman", "ps", "-aq"]).stdout
        let cinch = try BackgroundProcess(
            [
                self.cinch, "record", "--podman", "--wait-port", "1", "--grace", "1", "--driver", "true", "-o", output,
                "--",
            ] + limits + [image, "sleep", marker], errorPath: "\(bundle.directory)/stderr")
        var started = false
        for _ in 0..<100 where !started {
            // The container's own process, not cinch's command line, which names it too.
            started = ProcessTable.processes(containing: "sleep \(marker)").contains {
                $0.commandLine.hasPrefix("sleep ")
            }
            if !started { usleep(100_000) }
        }
        #expect(started, "the container started: \(cinch.standardError)")
        cinch.send(signal)
        let status = cinch.waitForExit(within: 30)
        var left: [ProcessTable.Entry] = []
        for _ in 0..<100 {
            left = ProcessTable.processes(containing: "sleep \(marker)").filter { $0.commandLine.hasPrefix("sleep ") }
            if left.isEmpty, try run(["podman", "ps", "-aq"]).stdout == before { break }
            usleep(100_000)
        }
        #expect(left.isEmpty, "\(left)")
        #expect(try run(["podman", "ps", "-aq"]).stdout == before, "the container is removed")
        if signal == SIGINT {
            #expect(status == 130, "\(cinch.standardError)")
            let data = FileManager.default.contents(atPath: output) ?? Data()
            let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            #expect(trace["complete"] as? Bool == false)
            let reasons = (trace["incompleteReasons"] as? [String]) ?? []
            #expect(reasons.contains { $0.contains("interrupted by SIGINT") }, "\(reasons)")
        } else {
            #expect(status == 137)
            #expect(!FileManager.default.fileExists(atPath: output), "no trace passes for a run cinch never finished")
            // The watchdog also removes the wrapper's copy of the trace, once the recorder wrote it.
            var copies: [String] = []
            for _ in 0..<100 {
                copies = ((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? []).filter {
                    $0.hasPrefix("podman-\(cinch.pid).")
                }
                if copies.isEmpty { break }
                usleep(100_000)
            }
            #expect(copies.isEmpty, "\(copies)")
        }
    }

    /// Issue 13 through an engine: record an httpd on port 80 with `record --podman`, then
    /// `minimize --podman` proves that of a wider list it needs exactly CAP_NET_BIND_SERVICE,
    /// each run a plain podman container (podman's own runtime) with `--cap-drop ALL --cap-add …`.
    @Test func minimizePodmanProvesTheListOfAService() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let dir = bundle.directory
        let driver = ["--wait-port", "80", "--grace", "1", "--driver", "wget -q -O /dev/null http://127.0.0.1:80/"]
        let service = ["--", "--network", "host"] + limits + [image, "httpd", "-f", "-p", "80", "-h", "/www"]
        let record = try run([cinch, "record", "--podman", "-q", "-o", "\(dir)/t.json"] + driver + service)
        #expect(record.status == 0, "\(record.stderr)")
        let generate = try run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let before = try run(["podman", "ps", "-aq"]).stdout
        let minimize = try run(
            [
                cinch, "minimize", "--podman", "-q", "--seccomp", "\(dir)/p.json", "--runs", "1", "--caps",
                "CAP_NET_BIND_SERVICE,CAP_CHOWN,CAP_KILL,CAP_SETUID", "-o", "\(dir)/kept.caps",
            ] + driver + service)
        #expect(minimize.status == 0, "\(minimize.stdout)\n\(minimize.stderr)")
        #expect(minimize.stdout.contains("needed     CAP_NET_BIND_SERVICE"), "\(minimize.stdout)")
        let kept = (try? String(contentsOfFile: "\(dir)/kept.caps", encoding: .utf8)) ?? ""
        #expect(kept.split(separator: "\n").map(String.init) == ["CAP_NET_BIND_SERVICE"], "\(kept)")
        #expect(try run(["podman", "ps", "-aq"]).stdout == before, "every trial's container is removed")
    }

    /// A process an engine execs into a recorded container (`podman exec`, a health check, a
    /// Kubernetes exec probe) runs under the container's recording filter. Untraced, every syscall
    /// the filter does not know would fail and the process would die (it did: status 139). It is
    /// recorded into `NAME.exec-N.json` next to the container's trace, and its status is its own.
    @Test func anExecIntoARecordedContainerRunsAndIsRecorded() throws {
        try staged("podman-exec") { stage in
            let started = try run(
                [
                    "podman", "run", "-d", "--runtime", "\(stage.wrapper)/cinch-runtime", "--annotation",
                    "cinch.dev/trace=\(stage.name)",
                ] + limits + [image, "sleep", "1000"])
            try #require(started.status == 0, "\(started.stderr)")
            let id = String(started.stdout.split(separator: "\n").last ?? "")
            defer { _ = try? run(["podman", "rm", "-f", "-t", "0", id]) }
            let sync = try run(["podman", "exec", id, "/bin/busybox", "sync"])
            #expect(sync.status == 0, "\(sync.status) \(sync.stderr)")
            let failing = try run(["podman", "exec", id, "/bin/busybox", "sh", "-c", "exit 3"])
            #expect(failing.status == 3, "the exec's own status: \(failing.stderr)")
            #expect(try run(["podman", "rm", "-f", "-t", "0", id]).status == 0)

            let stem = String(stage.name.dropLast(5))
            let exec = try finishedTrace("\(stem).exec-1.json")
            #expect(exec["complete"] as? Bool == true, "\(exec["incompleteReasons"] ?? "")")
            let source = exec["source"] as? [String: Any] ?? [:]
            #expect(source["command"] as? [String] == ["/bin/busybox", "sync"])
            #expect(source["containerID"] as? String == id)
            #expect(syscallNames(exec).contains("sync"), "\(syscallNames(exec).sorted())")
            _ = try finishedTrace("\(stem).exec-2.json")
            let container = try finishedTrace(stage.name)
            #expect(!syscallNames(container).contains("sync"), "the exec's calls are in its own trace")
        }
    }

    /// `record --podman` adds what was exec'd into the container during the run to its trace,
    /// and leaves none of the exec traces behind.
    @Test func recordPodmanAddsWhatAnExecDid() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let output = "\(bundle.directory)/t.json"
        let tracesBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        let record = try run(
            [
                cinch, "record", "--podman", "--grace", "1", "--driver",
                "podman exec \"$(podman ps -q --latest)\" /bin/busybox sync && echo synced", "-o", output, "--",
            ] + limits + [image, "sleep", "1000"])
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout == "synced", "the driver's exec ran in the container: \(record.stdout)")
        #expect(record.stderr.contains("Added what /bin/busybox sync did"), "\(record.stderr)")
        let data = FileManager.default.contents(atPath: output) ?? Data()
        let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        #expect(syscallNames(trace).contains("sync"), "\(syscallNames(trace).sorted())")
        #expect((trace["source"] as? [String: Any])?["command"] as? [String] == ["sleep", "1000"])
        let tracesAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        #expect(tracesAfter == tracesBefore, "the exec traces were merged and removed")
    }

    /// `--known` through the engine: the warm recording stops only for what the cold one did not
    /// see, carries the rest as inherited, and its profile still runs the container. A known
    /// trace outside the trace directory is refused at create.
    @Test func recordPodmanWithKnownTracesKeepsWhatItLetThrough() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try importImage(bundle)
        defer { _ = try? run(["podman", "rmi", "-f", image]) }
        let dir = bundle.directory
        let workload = limits + [image, "sh", "-c", "pwd; sync"]
        let tracesBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        let cold = try run([cinch, "record", "-q", "--podman", "-o", "\(dir)/cold.json", "--"] + workload)
        #expect(cold.status == 0, "\(cold.stderr)")
        let warm = try run(
            [cinch, "record", "-q", "--podman", "--known", "\(dir)/cold.json", "-o", "\(dir)/warm.json", "--"]
                + workload)
        #expect(warm.status == 0, "\(warm.stderr)")
        let trace =
            try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: "\(dir)/warm.json") ?? Data())
            as? [String: Any] ?? [:]
        let x86 = (trace["abis"] as? [String: Any])?["x86_64"] as? [String: Any] ?? [:]
        let inherited = Set(x86["inherited"] as? [String] ?? [])
        let coldTrace =
            try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: "\(dir)/cold.json") ?? Data())
            as? [String: Any] ?? [:]
        #expect(!inherited.isEmpty, "the known names are carried as inherited")
        #expect(syscallNames(trace).union(inherited).isSuperset(of: syscallNames(coldTrace)))
        #expect((trace["source"] as? [String: Any])?["knownTraces"] as? [String] == ["\(dir)/cold.json"])
        let generate = try run([cinch, "generate", "seccomp", "-q", "\(dir)/warm.json", "-o", "\(dir)/p.json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let replay = try run(["podman", "run", "--rm", "--security-opt", "seccomp=\(dir)/p.json"] + workload)
        #expect(replay.status == 0, "the warm profile runs the container under plain podman: \(replay.stderr)")
        let tracesAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? [])
        #expect(tracesAfter == tracesBefore, "the copies of the known traces are removed")

        let wrapper = try wrappers()
        defer { Command.removeDirectory(wrapper) }
        let refused = try run(
            [
                "podman", "run", "--rm", "--runtime", "\(wrapper)/cinch-runtime", "--annotation",
                "cinch.dev/trace=refused-\(getpid()).json", "--annotation", "cinch.dev/known=../../etc/passwd",
            ] + workload)
        defer { removeTrace("refused-\(getpid()).json") }
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refusing the known trace"), "\(refused.stderr)")
    }
}
