// SPDX-License-Identifier: Apache-2.0
// The AppArmor model's one renderer: the parser reads back what it prints.

import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite struct AppArmorProfileRenderingTests {
    static let model = AppArmorProfile(
        name: "cinch-web", flags: ["attach_disconnected", "mediate_deleted"], includes: ["<tunables/global>"],
        abi: "<abi/3.0>",
        rules: [
            AppArmorRule(.file(path: "/bin/busybox", modes: AppArmorFileModes(["r", "m"], exec: "ix"), target: nil)),
            AppArmorRule(.file(path: "/srv/a\\ b\\*", modes: AppArmorFileModes(["r"]), target: nil)),
            AppArmorRule(.file(path: "/tmp/x", modes: AppArmorFileModes(["w"]), target: nil), isOwner: true),
            AppArmorRule(.network(family: "inet", type: "stream", protocol: nil)),
            AppArmorRule(.capability(["net_bind_service"])),
            AppArmorRule(.other(keyword: "signal", arguments: "(receive) peer=unconfined")),
            AppArmorRule(.file(path: "/proc/sys/**", modes: AppArmorFileModes(["w"]), target: nil), isDeny: true),
        ])

    @Test func rendersTheFixedLayout() {
        #expect(
            Self.model.rendered(comment: "made by a test")
                == """
                # made by a test
                abi <abi/3.0>,

                include <tunables/global>

                profile cinch-web flags=(attach_disconnected,mediate_deleted) {
                  # Programs it ran; they run under this profile (ix).
                  /bin/busybox rmix,

                  # Files.
                  /srv/a\\ b\\* r,
                  owner /tmp/x w,

                  # Sockets.
                  network inet stream,

                  # Capabilities.
                  capability net_bind_service,

                  # Not observable in traces: the runtime may stop the container, and its processes may signal each other.
                  signal (receive) peer=unconfined,

                  # Kernel interfaces no container needs; deny rules win over any allow rule.
                  deny /proc/sys/** w,
                }

                """)
    }

    @Test func parsingTheRenderedTextGivesTheModelBack() throws {
        let text = Self.model.rendered(comment: "round trip")
        var parsed = try AppArmorProfile(bytes: Array(text.utf8), file: "rendered")
        parsed.rules = parsed.rules.map { rule in
            var unlocated = rule
            unlocated.line = 0
            return unlocated
        }
        #expect(parsed == Self.model)
    }

    /// Every profile fixture, parsed and rendered, parses to the same rules: the renderer prints
    /// whatever the parser reads, and rendering is idempotent.
    @Test(arguments: ["container-default", "web-new", "web-old", "web-reordered"])
    func renderingAParsedProfileKeepsItsRules(name: String) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixture.path("apparmor/\(name).apparmor"))))
        let parsed = try AppArmorProfile(bytes: bytes, file: name)
        let once = parsed.rendered()
        let reparsed = try AppArmorProfile(bytes: Array(once.utf8), file: "rendered")
        #expect(
            reparsed.rules.map(AppArmorProfile.rendered).sorted() == parsed.rules.map(AppArmorProfile.rendered).sorted()
        )
        #expect(reparsed.rendered() == once)
    }
}
