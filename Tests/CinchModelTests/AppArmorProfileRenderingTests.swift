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

    /// A quoted include before the profile lost its quotes (`include "local/web"` read as
    /// `local/web`: the parser looked at the keyword's quotes, not the file's), while one inside
    /// the profile kept them. The renderer writes every include at the top, so a profile with a
    /// quoted include changed on its first round trip. Found by `make fuzz` (apparmor).
    @Test func keepsTheQuotesOfAnIncludeBeforeTheProfile() throws {
        let text = "include \"local/web\"\n#include <tunables/global>\nprofile p {\n  include \"/srv/my files/x\"\n}\n"
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "quoted")
        #expect(profile.includes == ["\"/srv/my files/x\"", "\"local/web\"", "<tunables/global>"])
        let reparsed = try AppArmorProfile(bytes: Array(profile.rendered().utf8), file: "rendered")
        #expect(reparsed.includes == profile.includes)
    }

    /// A quoted profile name with a blank (`profile "my app" {`, which AppArmor accepts) was
    /// rendered unquoted, and the rendering read back as the name `my` attached to `app`.
    /// Found by `make fuzz` (apparmor).
    @Test func quotesAProfileNameWithABlank() throws {
        let profile = try AppArmorProfile(bytes: Array("profile \"my app\" {\n  /a r,\n}\n".utf8), file: "name")
        #expect(profile.name == "my app")
        #expect(profile.rendered().contains("profile \"my app\" {"))
        let reparsed = try AppArmorProfile(bytes: Array(profile.rendered().utf8), file: "rendered")
        #expect(reparsed.name == "my app")
        #expect(reparsed.attachment == nil)
    }

    /// Names and paths are quoted exactly when the parser would not read them back bare: a
    /// quote inside parentheses (where blanks do not end a word) made the rendering quote a name
    /// that then ended at that quote, and a quoted path without a leading `/` was rendered bare,
    /// where it is no path. Found by the seeded mutation test of the apparmor fuzz target.
    @Test(arguments: [
        "**({{ } \"/srv/my files/**\" }) {}",
        "profile p {\n  \"x\" r,\n  \"@{HOME}/a b\" r,\n  \"/a,b\" r,\n  \"#x\" r,\n  /a(b c) r,\n}\n",
        "profile p \"attached\" {\n  /bin/a px -> \"other profile\",\n}\n",
    ])
    func rendersNamesAndPathsThatReadBackTheSame(text: String) throws {
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "words")
        let reparsed = try AppArmorProfile(bytes: Array(profile.rendered().utf8), file: "rendered")
        #expect(reparsed.name == profile.name)
        #expect(reparsed.attachment == profile.attachment)
        #expect(reparsed.rules.map(AppArmorProfile.rendered) == profile.rules.map(AppArmorProfile.rendered))
    }

    /// A header with `flags=(…)` followed by more words was read as one list with parentheses
    /// inside (`flags=(a,b)x flags=(a)` gave the flags `a`, `b` and `b)xflags=(a`, duplicates
    /// kept), which rendered into flags that read back different. Only one list is flags.
    /// Found by `make fuzz` (apparmor).
    @Test(arguments: ["profile p flags=(a,b)  x  flags=(a) {\n}\n", "profile p flags=(x)y(z) {\n}\n"])
    func rejectsFlagsThatAreNotOneList(text: String) {
        #expect(throws: InputError.self) { try AppArmorProfile(bytes: Array(text.utf8), file: "flags") }
    }

    /// A flags list holding braces was kept as written (`flags(,\n{})` gave the flags "" and
    /// " {}"), and those read back different. A flag is one word of plain characters.
    /// Found by `make fuzz` (apparmor).
    @Test(arguments: [
        "profile \u{0} flags(,\n{}) {}", "profile p flags=(a,{b}) {\n}\n", "profile p flags=() {\n}\n",
        "profile p flags=(a\u{00C9}) {\n}\n",
    ])
    func rejectsAFlagThatIsNotOneWord(text: String) {
        #expect(throws: InputError.self) { try AppArmorProfile(bytes: Array(text.utf8), file: "flags") }
    }

    @Test func readsFlagsWrittenWithBlanks() throws {
        let text = "profile p flags=( complain , attach_disconnected.path=/run/x\n  error=EPERM) {\n}\n"
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "flags")
        #expect(profile.flags == ["attach_disconnected.path=/run/x", "complain", "error=EPERM"])
    }

    /// An escaped comma or blank in a list is part of its item: splitting `(trac\, read)` at the
    /// escaped comma left `trac\`, whose backslash then escaped the closing parenthesis of the
    /// rendering, which no longer parsed. Found by `make fuzz` (apparmor).
    @Test func keepsAnEscapedSeparatorInItsListItem() throws {
        let text = "profile p {\n  ptrace (trac\\, read) peer=x,\n  signal (send\\ receive) peer=y,\n}\n"
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "list")
        let rendered = profile.rendered()
        #expect(rendered.contains("ptrace (read,trac\\,) peer=x,"), "\(rendered)")
        #expect(rendered.contains("signal (send\\ receive) peer=y,"), "\(rendered)")
        #expect(try AppArmorProfile(bytes: Array(rendered.utf8), file: "rendered").rendered() == rendered)
    }

    /// Parenthesised lists are normalised (split at blanks and commas, sorted, unique), but a
    /// group holding braces is not such a list: `**({{ } })` became `**({{,})`, whose braces no
    /// longer balance, so the rendering did not parse. Kept as written, its line breaks ended
    /// the quotes the rendering puts around a name with a blank; they are single spaces now.
    /// Found by `make fuzz` (apparmor).
    @Test(arguments: [("**({{ } }) {}", "**({{ } })"), ("**({a,\n   b{ } }) {}", "**({a, b{ } })")])
    func keepsAParenthesisedGroupWithBracesAsWritten(text: String, name: String) throws {
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "group")
        #expect(profile.name == name)
        let reparsed = try AppArmorProfile(bytes: Array(profile.rendered().utf8), file: "rendered")
        #expect(reparsed == profile)
    }

    /// A parenthesised group with a group inside is not a flat list: it was split inside the
    /// inner group too, and sorting the pieces unbalanced the parentheses or left a comma outside
    /// them, so the rendering ended the word early (or quoted it, and a quote inside then ended
    /// the quotes). It is kept as written, blanks made single spaces. Found by `make fuzz`
    /// (apparmor), once in CI.
    @Test(arguments: [
        ("**(x s\"(d, e) y) {}", "**(x s\"(d, e) y)"),
        ("**(x\n signal\"(send, receive) y\n) {}", "**(x signal\"(send, receive) y)"),
        ("**(a (z, \u{0})) {}", "**(a (z, \u{0}))"),
    ])
    func keepsANestedGroupAsWritten(text: String, name: String) throws {
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "nested")
        #expect(profile.name == name)
        let rendered = profile.rendered()
        #expect(try AppArmorProfile(bytes: Array(rendered.utf8), file: "rendered").rendered() == rendered)
    }

    /// `set rlimit` kept its words without their quotes, so a comma inside a quoted one ended
    /// the rendered rule and the rest did not parse. Found by `make fuzz` (apparmor).
    @Test func keepsTheQuotesOfAnRlimitRule() throws {
        let text = "profile p {\n  set rlimit nofile <= \"1024, soft\",\n}\n"
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "rlimit")
        let rendered = profile.rendered()
        #expect(rendered.contains("rlimit nofile <= \"1024, soft\","), "\(rendered)")
        #expect(try AppArmorProfile(bytes: Array(rendered.utf8), file: "rendered").rendered() == rendered)
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
