// SPDX-License-Identifier: Apache-2.0
// The trace's capabilityEvidence member: written sorted, read back strictly, merged as a union.

import CinchModel
import Testing

@Suite struct CapabilityEvidenceTests {
    func trace(_ evidence: [String: Trace.CapabilityEvidence]) -> Trace {
        var trace = Trace(source: .init(kind: "ptrace"), capabilities: Set(evidence.keys), observed: [.capabilities])
        trace.capabilityEvidence = evidence
        return trace
    }

    @Test func roundTripsAndMergesAsAUnion() throws {
        let first = trace(["CAP_CHOWN": .init(syscalls: ["fchownat"]), "CAP_SETUID": .init(syscalls: [])])
        let text = first.jsonValue().rendered()
        #expect(text.contains(#""CAP_CHOWN": {"#))
        let read = try Trace(jsonBytes: Array(text.utf8), file: "t.json")
        #expect(read == first)
        let second = trace(["CAP_CHOWN": .init(syscalls: ["chown", "fchownat"])])
        let merged = read.merged(with: second)
        #expect(merged.capabilityEvidence["CAP_CHOWN"]?.syscalls == ["chown", "fchownat"])
        #expect(merged.capabilityEvidence["CAP_SETUID"]?.syscalls == [])
    }

    /// A trace without the member (every trace before it existed) reads as no evidence.
    @Test func isOptional() throws {
        let trace = try Trace(
            jsonBytes: Array(#"{"cinchTrace": 1, "capabilities": ["CAP_KILL"]}"#.utf8), file: "t.json")
        #expect(trace.capabilityEvidence == [:])
        #expect(!trace.jsonValue().rendered().contains("capabilityEvidence"))
    }

    /// Names are checked, and the error names the JSON path.
    @Test(arguments: [
        (#"{"cap_chown": {"syscalls": []}}"#, "$.capabilityEvidence.cap_chown"),
        (#"{"CAP_CHOWN": {"syscalls": ["open at"]}}"#, "$.capabilityEvidence.CAP_CHOWN.syscalls[0]"),
        (#"{"CAP_CHOWN": {"syscalls": ["x\n- y"]}}"#, "$.capabilityEvidence.CAP_CHOWN.syscalls[0]"),
        (#"{"CAP_CHOWN": ["fchownat"]}"#, "$.capabilityEvidence.CAP_CHOWN"),
    ])
    func rejectsWhatIsNotACapabilityOrASyscall(member: String, path: String) {
        let text = #"{"cinchTrace": 1, "capabilityEvidence": "# + member + "}"
        let error = #expect(throws: InputError.self) { try Trace(jsonBytes: Array(text.utf8), file: "t.json") }
        #expect(error?.description.contains(path) == true, "\(String(describing: error))")
    }
}
