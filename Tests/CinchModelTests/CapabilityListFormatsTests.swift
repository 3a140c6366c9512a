// SPDX-License-Identifier: Apache-2.0
// Every capability list format cinch writes reads back as the same list.

import CinchModel
import Testing

@Suite struct CapabilityListFormatsTests {
    static let lists = [
        CapabilityList(["CAP_NET_BIND_SERVICE", "CAP_SETUID"], ranWithNoNewPrivileges: true),
        CapabilityList(["CAP_CHOWN"]),
        CapabilityList([String]()),
    ]

    /// `diff`, `verify --caps-file` and `check` rejected the docker, OCI, compose and Kubernetes
    /// formats that `generate capabilities` writes.
    @Test(arguments: CapabilityList.Format.allCases, lists)
    func readsBackWhatItRenders(format: CapabilityList.Format, list: CapabilityList) throws {
        let rendered = list.rendered(as: format)
        let read = try CapabilityList(bytes: Array(rendered.utf8), file: "list")
        #expect(read.capabilities == list.capabilities, "\(rendered)")
        if format == .kubernetes { #expect(read.ranWithNoNewPrivileges == list.deniesPrivilegeEscalation) }
    }

    @Test(arguments: [
        ("--cap-drop ALL --cap-add cap_chown \\\n  --cap-add=NET_RAW\n", ["CAP_CHOWN", "CAP_NET_RAW"]),
        ("cap_drop: [ALL]\ncap_add: [\"CHOWN\", 'KILL']  # kept\n", ["CAP_CHOWN", "CAP_KILL"]),
        ("securityContext:\n  capabilities:\n    drop:\n    - ALL\n", []),
        (#"{"bounding": ["CAP_KILL"], "effective": ["CAP_CHOWN"]}"#, ["CAP_CHOWN", "CAP_KILL"]),
    ])
    func readsHandWrittenVariants(text: String, expected: [String]) throws {
        #expect(try CapabilityList(bytes: Array(text.utf8), file: "list").capabilities == expected)
    }

    @Test(arguments: [
        ("--cap-add=CAP_CHOWN\n", "list:1", "do not drop ALL"),
        ("--cap-drop=ALL --privileged\n", "list:1", "--privileged"),
        ("cap_drop:\n  - ALL\ncap_add:\n  - CHOWN\nimage: x\n", "list:5", "unexpected key \"image\""),
        ("cap_drop:\n  - NET_RAW\n", "list:2", "drop ALL"),
        ("cap_drop:\n  - ALL\ncap_add:\n  - NOT-A-CAP\n", "list:4", "not a capability name"),
        (#"{"bounding": ["CAP_KILL"], "extra": []}"#, "$.extra", "unknown key"),
    ])
    func rejectsWhatItCannotReadWithTheLine(text: String, location: String, message: String) {
        #expect {
            _ = try CapabilityList(bytes: Array(text.utf8), file: "list")
        } throws: { error in
            "\(error)".contains(location) && "\(error)".contains(message)
        }
    }
}
