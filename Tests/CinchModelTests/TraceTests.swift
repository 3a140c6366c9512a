// SPDX-License-Identifier: Apache-2.0
// Trace format v1: reading, canonical writing, merging, and rejection of bad input.

import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

@Suite struct TraceTests {
    func load(_ name: String) throws -> Trace {
        try Trace.load(path: Fixture.path("traces/\(name)"))
    }

    @Test(arguments: ["mixed-abi.trace.json", "interrupted.trace.json", "observations.trace.json"])
    func writesFixturesBackByteForByte(name: String) throws {
        let text = try String(decoding: FileIO.read(Fixture.path("traces/\(name)")), as: UTF8.self)
        #expect(try load(name).jsonValue().rendered() == text)
    }

    @Test func readsEveryField() throws {
        let trace = try load("mixed-abi.trace.json")
        #expect(
            trace.source == Trace.Source(kind: "ptrace", command: ["probe", "int80:getpid"], knownTraces: ["old.json"]))
        #expect(trace.isComplete)
        #expect(trace.exitStatus == .exited(0))
        #expect(trace.processCount == 2)
        #expect(
            trace.abis[.x86]?.syscalls["getpid"] == Trace.SyscallRecord(count: 1, firstExecutable: "/usr/bin/probe"))
        #expect(trace.abis[.x86_64]?.inherited == ["fstat"])
        #expect(trace.abis[.x86_64]?.unknownNumbers == [999: 3])
        #expect(trace.namesByABI[.x86_64] == ["execve", "exit_group", "fstat", "openat", "read"])
    }

    @Test func readsContainerSourceAndFileNetworkCapabilityObservations() throws {
        let trace = try load("observations.trace.json")
        #expect(trace.source.runtime == "runc")
        #expect(trace.source.bundle == "/tmp/bundle")
        #expect(trace.source.noNewPrivileges == true)
        #expect(trace.files["/var/log/app.log"] == ["a", "c", "w"])
        #expect(trace.network.contains(Trace.NetworkAccess(family: "inet", socketType: "stream", protocolNumber: 6)))
        #expect(trace.capabilities == ["CAP_NET_BIND_SERVICE", "CAP_SETUID"])
        let merged = trace.merged(with: try load("mixed-abi.trace.json"))
        #expect(merged.files.count == 3)
        #expect(merged.capabilities.count == 2)
    }

    @Test func readsIncompleteTracesWithTheirReasons() throws {
        let trace = try load("interrupted.trace.json")
        #expect(!trace.isComplete)
        #expect(trace.exitStatus == .signaled(15))
        #expect(trace.exitStatus?.shellStatus == 143)
        #expect(trace.incompleteReasons.count == 1)
    }

    @Test func mergeIsAUnionThatAddsCountsAndKeepsIncompleteness() throws {
        let merged = try load("mixed-abi.trace.json").merged(with: load("interrupted.trace.json"))
        #expect(!merged.isComplete)
        #expect(merged.namesByABI[.x86_64]?.isSuperset(of: ["nanosleep", "write", "read", "fstat"]) == true)
        #expect(merged.abis[.x86]?.syscalls["getpid"]?.count == 1)
        #expect(merged.processCount == 3)
        #expect(merged.source.kind == "merge")
        let twice = try load("mixed-abi.trace.json").merged(with: load("mixed-abi.trace.json"))
        #expect(twice.abis[.x86_64]?.syscalls["read"]?.count == 24)
        #expect(twice.abis[.x86_64]?.syscalls["read"]?.firstExecutable == "/usr/bin/probe")
    }

    /// A name observed in one trace and only inherited in another is observed in the merge.
    @Test func observedWinsOverInherited() {
        var a = Trace(source: .init(kind: "ptrace"))
        a.abis[.x86_64] = .init(syscalls: [:], inherited: ["read"])
        var b = Trace(source: .init(kind: "ptrace"))
        b.abis[.x86_64] = .init(syscalls: ["read": .init(count: 2)])
        let merged = a.merged(with: b)
        #expect(merged.abis[.x86_64]?.inherited == [])
        #expect(merged.abis[.x86_64]?.syscalls["read"]?.count == 2)
    }

    @Test func ignoresKeysAddedByLaterMinorVersions() throws {
        let text =
            #"{"cinchTrace": 1, "abis": {"x86_64": {"syscalls": {"read": {"count": 1, "args": []}}, "files": []}}, "capabilities": ["CAP_CHOWN"]}"#
        let trace = try Trace(jsonBytes: Array(text.utf8), file: "t.json")
        #expect(trace.namesByABI[.x86_64] == ["read"])
    }

    /// File access letters were read as any string's `Character`s: `"\u0301e"` gave the set
    /// {U+0301, e}, written back as `"é"`, one `Character`, so the trace changed when cinch
    /// rewrote it. Letters are ASCII letters now. Found by the round-trip property of the
    /// trace fuzz target.
    @Test(arguments: [#""\u0301e""#, #""r w""#, #""r,""#, #""\u0000""#, #""rш""#])
    func rejectsFileAccessModesThatAreNotLetters(modes: String) {
        let text = #"{"cinchTrace": 1, "files": {"/a": "# + modes + "}}"
        #expect(throws: InputError.self) { try Trace(jsonBytes: Array(text.utf8), file: "modes.json") }
    }

    @Test func readsFileAccessLettersItDoesNotKnow() throws {
        let text = #"{"cinchTrace": 1, "files": {"/a": "rzQ"}}"#
        let trace = try Trace(jsonBytes: Array(text.utf8), file: "modes.json")
        #expect(trace.files["/a"] == ["r", "z", "Q"])
        #expect(try Trace(jsonBytes: Array(trace.jsonValue().rendered().utf8), file: "again.json") == trace)
    }

    @Test(arguments: [
        (#"{"cinchTrace": 2}"#, "version 2 is not supported"),
        (#"{"abis": {}}"#, "\"cinchTrace\" version key is missing"),
        (#"{"cinchTrace": 1, "abis": {"sparc": {}}}"#, "$.abis.sparc"),
        (
            #"{"cinchTrace": 1, "abis": {"x86_64": {"syscalls": {"read": {"count": -1}}}}}"#,
            "$.abis.x86_64.syscalls.read.count"
        ),
        (#"{"cinchTrace": 1, "processes": "3"}"#, "expected an integer"),
        ("{\"cinchTrace\": 1,\n \"abis\": {,}}", "bad.json:2:11: invalid JSON"),
        (#"[1, 2]"#, "expected an object"),
    ])
    func rejectsBadInputNamingThePlace(text: String, expectedFragment: String) {
        do {
            _ = try Trace(jsonBytes: Array(text.utf8), file: "bad.json")
            Issue.record("accepted invalid trace \(text)")
        } catch {
            #expect(error.description.contains(expectedFragment), "\(error)")
            #expect(error.description.hasPrefix("bad.json"))
        }
    }
}
