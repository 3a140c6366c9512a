// SPDX-License-Identifier: Apache-2.0
// The runtime wrapper's reading of engine command lines, its settings and the trace paths it accepts.

import CinchContainer
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@testable import CinchWorkflow

@Suite struct RuntimeCommandLineTests {
    /// What podman's conmon, containerd's shim and a hand-run runc pass, read as runc reads it.
    @Test(
        arguments: [
            (
                "--root /run/runc --log /x/log.json --log-format json --systemd-cgroup create --bundle /b --pid-file /b/pid --console-socket /s 4f2a",
                "create", "/b", "/b/pid", "4f2a", false
            ),
            ("--root=/r create -b /b --preserve-fds 2 id1", "create", "/b", nil, "id1", false),
            ("run --detach --bundle=/b --pid-file=/p id2", "run", "/b", "/p", "id2", true),
            ("--log /l start id3", "start", nil, nil, "id3", false),
            ("delete --force id4", "delete", nil, nil, "id4", false),
            ("kill id5 TERM", "kill", nil, nil, "id5", false),
            // conmon's exec: the process file and the pid file are values, not the ID.
            (
                "--root /run/runc exec --pid-file /x/exec.pid --process /x/process.json --detach --tty --console-socket /s id6",
                "exec", nil, "/x/exec.pid", "id6", true
            ),
            ("exec -p /x/p.json -e A=1 -u 0:0 --cwd / id7", "exec", nil, nil, "id7", false),
            ("--version", nil, nil, nil, nil, false),
        ] as [(String, String?, String?, String?, String?, Bool)])
    func readsWhatTheEngineAsked(
        line: String, command: String?, bundle: String?, pidFile: String?, id: String?, detach: Bool
    ) {
        let parsed = RuntimeCommandLine(line.split(separator: " ").map(String.init))
        #expect(parsed.command == command)
        #expect(parsed.bundle == bundle)
        #expect(parsed.pidFile == pidFile)
        #expect(parsed.containerID == id)
        #expect(parsed.detach == detach)
        #expect(parsed.arguments.joined(separator: " ") == line, "the runtime gets the command line unchanged")
    }

    @Test func readsTheProcessFileOfAnExecOnly() {
        #expect(RuntimeCommandLine(["exec", "--process", "/p.json", "id"]).processFile == "/p.json")
        #expect(RuntimeCommandLine(["exec", "-p", "p.json", "id"]).processFile == "p.json")
        #expect(RuntimeCommandLine(["create", "--pid-file", "/p", "id"]).processFile == nil)
    }

    /// The traces of execs are found by name next to the container's, in order, and nothing else
    /// in the directory passes for one.
    @Test func namesAndFindsTheTracesOfExecs() throws {
        let directory = try Command.temporaryDirectory("exec-traces")
        defer { Command.removeDirectory(directory) }
        let container = directory + "/web.json"
        #expect(RuntimeWrapperSettings.execTracePrefix(of: container) == directory + "/web.exec-")
        #expect(RuntimeWrapperSettings.execTracePrefix(of: directory + "/web") == directory + "/web.exec-")
        for name in [
            "web.exec-10.json", "web.exec-2.json", "web.exec-2.json.log", "web.exec-x.json", "web.exec-.json",
            "web.exec-0.json", "webby.exec-1.json", "web.json",
        ] {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data()))
        }
        #expect(
            RuntimeWrapperSettings.execTraces(of: container) == [
                directory + "/web.exec-2.json", directory + "/web.exec-10.json",
            ])
        #expect(RuntimeJob.isExecTrace("web.exec-3.json"))
        #expect(!RuntimeJob.isExecTrace("web.json"))
        #expect(!RuntimeJob.isExecTrace("web.exec-3.json.log"))
        #expect(!RuntimeJob.isExecTrace("web.exec-.json"))
        #expect(!RuntimeJob.isExecTrace("web-3.json"))
    }

    @Test func findsTheConfigTheRuntimeReads() {
        #expect(RuntimeCommandLine(["create", "id"]).configPath(workingDirectory: "/w") == "/w/./config.json")
        #expect(
            RuntimeCommandLine(["create", "-b", "rel", "id"]).configPath(workingDirectory: "/w") == "/w/rel/config.json"
        )
        #expect(
            RuntimeCommandLine(["create", "-b", "/b", "-f", "c.json", "id"]).configPath(workingDirectory: "/w")
                == "/b/c.json")
        #expect(RuntimeCommandLine(["create", "--preserve-fds", "3", "id"]).preservedDescriptors == 3)
    }
}

@Suite struct RuntimeWrapperSettingsTests {
    @Test func theNameOrTheSettingsPickTheRuntime() throws {
        #expect(RuntimeWrapperSettings.defaultRuntime(invokedAs: "/usr/local/bin/cinch-runtime") == "runc")
        #expect(RuntimeWrapperSettings.defaultRuntime(invokedAs: "cinch-runtime-crun") == "crun")
        let settings = try RuntimeWrapperSettings(
            jsonBytes: Array(#"{"runtime": "/opt/crun", "traceDirectory": "/srv/traces/"}"#.utf8), file: "s.json",
            invokedAs: "cinch-runtime")
        #expect(settings == RuntimeWrapperSettings(runtime: "/opt/crun", traceDirectory: "/srv/traces"))
    }

    @Test(arguments: [
        (#"{"runtime": "bin/runc"}"#, "s.json:1:13", "program name or an absolute path"),
        (#"{"traceDirectory": "/a/../etc"}"#, "s.json:1:20", "absolute path without .."),
        (#"{"traceDirectory": "/"}"#, "s.json:1:20", "absolute path without .."),
        (#"{"runtimes": "runc"}"#, "s.json:1:14 ($.runtimes)", "unknown key \"runtimes\""),
    ])
    func rejectsBadSettingsWithTheirPlace(text: String, location: String, message: String) {
        #expect {
            _ = try RuntimeWrapperSettings(jsonBytes: Array(text.utf8), file: "s.json", invokedAs: "cinch-runtime")
        } throws: { error in
            "\(error)".contains(location) && "\(error)".contains(message)
        }
    }

    /// Whoever can annotate a container must not be able to make root write outside the trace
    /// directory, or a file whose name would be read as something else.
    @Test(
        arguments: [
            ("app.json", "/var/lib/cinch/traces/app.json"),
            ("/var/lib/cinch/traces/web-1.json", "/var/lib/cinch/traces/web-1.json"),
            ("../../etc/cron.d/x", nil), ("/etc/passwd", nil), ("/var/lib/cinch/traces/../x", nil),
            ("/var/lib/cinch/traces/sub/x.json", nil), (".hidden", nil), ("", nil), ("a b", nil), ("a\nb", nil),
            ("/var/lib/cinch/tracesX/a.json", nil),
        ] as [(String, String?)])
    func confinesTracesToTheTraceDirectory(annotation: String, path: String?) {
        #expect(RuntimeWrapperSettings(runtime: "runc").tracePath(annotation: annotation) == path)
    }
}

@Suite struct RuntimeRecorderTests {
    @Test func readsTheWrappersArgumentsAndNothingElse() {
        let arguments = [
            "--status-fd", "4", "--config-fd", "5", "--trace", "/t/a.json", "--runtime", "/usr/sbin/runc", "--",
            "create", "--bundle", "/b", "id",
        ]
        let read = RuntimeJob.RecorderArguments(arguments)
        #expect(read?.statusDescriptor == 4)
        #expect(read?.configDescriptor == 5)
        #expect(read?.tracePath == "/t/a.json")
        #expect(read?.runtime == "/usr/sbin/runc")
        #expect(read?.runtimeArguments == ["create", "--bundle", "/b", "id"])
        #expect(RuntimeJob.RecorderArguments(Array(arguments.dropFirst(2))) == nil)
        #expect(RuntimeJob.RecorderArguments(["create", "id"]) == nil)
        #expect(read?.knownTraces == [])
        var withKnown = arguments
        withKnown.insert(contentsOf: ["--known", "/t/k1.json", "--known", "/t/k2.json"], at: 8)
        let known = RuntimeJob.RecorderArguments(withKnown)
        #expect(known?.knownTraces == ["/t/k1.json", "/t/k2.json"])
        #expect(known?.runtimeArguments == ["create", "--bundle", "/b", "id"])
    }

    /// The recording config differs from the engine's only in `linux.seccomp`: a trace-by-default
    /// filter whose object syscalls always stop.
    @Test func replacesOnlyTheSeccompObject() throws {
        let engine = try JSONParser.parse(
            #"{"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}, "namespaces": [{"type": "pid"}]}}"#
        ).value
        let recording = RuntimeJob.recordingConfig(engine)
        #expect(recording[member: "process"] == engine[member: "process"])
        #expect(recording[member: "linux"]?[member: "namespaces"] == engine[member: "linux"]?[member: "namespaces"])
        #expect(
            recording[member: "linux"]?[member: "seccomp"]?[member: "defaultAction"]?.stringValue == "SCMP_ACT_TRACE")
    }

    /// The pause container of a pod carries the pod's annotations but is never recorded.
    @Test func neverRecordsAPodsSandbox() throws {
        let directory = try Command.temporaryDirectory("sandbox")
        defer { Command.removeDirectory(directory) }
        let line = RuntimeCommandLine(["create", "--bundle", directory, "id"])
        for (extra, records) in [
            ("", true), (#", "io.kubernetes.cri.container-type": "sandbox""#, false),
            (#", "io.kubernetes.cri-o.ContainerType": "sandbox""#, false),
            (#", "io.kubernetes.cri.container-type": "container""#, true),
        ] {
            let config = #"{"annotations": {"cinch.dev/trace": "app.json"\#(extra)}}"#
            try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
            #expect((RuntimeJob.recordingRequest(line, workingDirectory: "/") != nil) == records, "\(extra)")
        }
    }
}
