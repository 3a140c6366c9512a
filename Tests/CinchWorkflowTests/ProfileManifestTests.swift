// SPDX-License-Identifier: Apache-2.0
// The profile manifest: conventional manifests, round trips and rejected shapes.

import CinchModel
import CinchWorkflow
import Testing

@Suite struct ProfileManifestTests {
    @Test func manifestRoundTripsDeterministically() throws {
        let manifest = ProfileManifest.conventional(
            traceFiles: ["Traces/web.trace.json", "Traces/app.trace.json", "Traces/notes.txt"],
            profilesDirectory: "Profiles")
        #expect(
            manifest.entries.map(\.path) == [
                "Profiles/app.seccomp.json", "Profiles/app.oci.json", "Profiles/web.seccomp.json",
                "Profiles/web.oci.json",
            ])
        let text = manifest.rendered()
        let parsed = try ProfileManifest(jsonBytes: Array(text.utf8), file: "m.json")
        #expect(parsed.rendered() == text)
        #expect(
            parsed.entries.first { $0.path == "Profiles/app.oci.json" }?.kind
                == .seccomp(format: .oci, defaultErrno: 1, architectures: []))
    }

    @Test(arguments: [
        #"{"profiles": []}"#,
        #"{"cinchProfiles": 2, "profiles": []}"#,
        #"{"cinchProfiles": 1, "profiles": [{"path": "p.json", "traces": []}]}"#,
        #"{"cinchProfiles": 1, "profiles": [{"path": "p.json", "kind": "selinux", "traces": ["t"]}]}"#,
        #"{"cinchProfiles": 1, "profiles": [{"path": "p.json", "traces": ["t"], "extra": 1}]}"#,
        #"{"cinchProfiles": 1, "profiles": [{"path": "p", "traces": ["t"]}, {"path": "p", "traces": ["t"]}]}"#,
    ])
    func rejectsBadManifests(text: String) {
        #expect(throws: InputError.self) { try ProfileManifest(jsonBytes: Array(text.utf8), file: "m.json") }
    }
}
