// SPDX-License-Identifier: Apache-2.0
// Tests of the AppArmor parser, glob matching, the semantic AppArmor diff and its renderers.

import CinchDiff
import CinchModel
import CinchTestSupport
import Foundation
import Testing

func loadAppArmorFixture(_ name: String) throws -> AppArmorProfile {
    try AppArmorProfile(bytes: Fixture.bytes("apparmor/\(name)"), file: name)
}

/// Parses `rules` wrapped in `profile t { … }`.
func appArmorProfile(_ rules: String, name: String = "t") throws -> AppArmorProfile {
    try AppArmorProfile(bytes: Array("profile \(name) {\n\(rules)\n}\n".utf8), file: "inline.apparmor")
}

/// The one change between two inline profiles.
func singleChange(_ old: String, _ new: String) throws -> ProfileDiff.Change {
    let diff = ProfileDiff.apparmor(old: try appArmorProfile(old), new: try appArmorProfile(new))
    #expect(diff.general.count == 1, "\(DiffRenderer.text(diff))")
    return try #require(diff.general.first)
}

@Suite struct AppArmorDiffTests {
    static let validFixtures = [
        "container-default.apparmor", "web-old.apparmor", "web-new.apparmor", "web-reordered.apparmor",
    ]

    // MARK: - Parser

    @Test func parsesTheHeaderIncludesAndEveryRuleForm() throws {
        let profile = try loadAppArmorFixture("web-old.apparmor")
        #expect(profile.name == "web")
        #expect(profile.attachment == "/usr/local/bin/web")
        #expect(profile.flags == ["attach_disconnected"])
        #expect(profile.abi == "<abi/3.0>")
        #expect(profile.includes == ["<abstractions/base>", "<tunables/global>"])
        #expect(
            profile.rules.map(\.description) == [
                "capability net_bind_service", "capability setgid setuid", "network inet stream",
                "network inet6 stream", "/usr/local/bin/web rm", "/etc/passwd r", "/etc/web/config.toml r",
                "/var/log/web/*.log w", "@{HOME}/.cache/web/** rwk", "\"/srv/web data/**\" r", "/usr/bin/logger ix",
                "signal (receive) peer=unconfined", "@{PROC}/sys/** w", "/sys/** w",
            ])
        #expect(profile.rules.first { $0.description.hasPrefix("@{HOME}") }?.isOwner == true)
        #expect(profile.rules.filter(\.isDeny).count == 2)
        #expect(profile.rules.first?.line == 8)
        #expect(profile.rules.first { $0.category == "exec" }?.description == "/usr/bin/logger ix")
    }

    /// An escaped `*` is a literal star inside quotes as well as outside: the rule covers exactly
    /// the file named `*`, so a rule for another file in that directory is a widening.
    @Test(arguments: [#""/tmp/\*" r,"#, #"/tmp/\* r,"#])
    func anEscapedStarIsLiteralInsideQuotesToo(rule: String) throws {
        let profile = try appArmorProfile(rule)
        let paths = profile.rules.compactMap { rule -> String? in
            if case .file(let path?, _, _) = rule.body { return path }
            return nil
        }
        let path = try #require(paths.first)
        #expect(AppArmorGlob(path).matches("/tmp/*"))
        #expect(!AppArmorGlob(path).matches("/tmp/a"))
        let diff = ProfileDiff.apparmor(old: profile, new: try appArmorProfile(rule + "\n/tmp/a r,"))
        #expect(diff.widens, "\(DiffRenderer.text(diff))")
    }

    /// Escaped parentheses, commas and spaces in a path are the path's own characters, not a
    /// qualifier list to sort (`(send, receive)`): the rule reads back as written.
    @Test func escapedParenthesesInAPathStayAsWritten() throws {
        let path = #"/srv/x\(b\,\ a\)"#
        let profile = try appArmorProfile(path + " r,")
        let paths = profile.rules.compactMap { rule -> String? in
            if case .file(let path?, _, _) = rule.body { return path }
            return nil
        }
        #expect(paths == [path])
        #expect(AppArmorGlob(path).matches("/srv/x(b, a)"))
    }

    /// AppArmor spells the sequenced-packet socket type `seqpacket` (apparmor_parser rejects `seq`).
    @Test func readsEverySocketTypeAppArmorKnows() throws {
        for type in ["stream", "dgram", "seqpacket", "rdm", "raw", "packet"] {
            #expect(throws: Never.self) { try appArmorProfile("network unix \(type),") }
        }
        #expect(throws: InputError.self) { try appArmorProfile("network unix seq,") }
    }

    @Test func parsesTheDockerStyleProfile() throws {
        let profile = try loadAppArmorFixture("container-default.apparmor")
        #expect(profile.flags == ["attach_disconnected", "mediate_deleted"])
        let bodies = profile.rules.map(\.body)
        #expect(bodies.contains(.file(path: nil, modes: .all, target: nil)))
        #expect(bodies.contains(.capability([])))
        #expect(bodies.contains(.network(family: nil, type: nil, protocol: nil)))
        #expect(bodies.contains(.other(keyword: "signal", arguments: "(receive,send) peer=container-default")))
        #expect(bodies.contains(.other(keyword: "ptrace", arguments: "(read,trace) peer=container-default")))
        #expect(profile.rules.contains { $0.isDeny && $0.body == .other(keyword: "mount", arguments: "") })
    }

    @Test(arguments: [
        ("/etc/passwd r,", AppArmorRule.Body.file(path: "/etc/passwd", modes: AppArmorFileModes(["r"]), target: nil)),
        ("file rw /tmp/x,", .file(path: "/tmp/x", modes: AppArmorFileModes(["r", "w"]), target: nil)),
        ("file /tmp/x rw,", .file(path: "/tmp/x", modes: AppArmorFileModes(["r", "w"]), target: nil)),
        ("r /tmp/x,", .file(path: "/tmp/x", modes: AppArmorFileModes(["r"]), target: nil)),
        ("\"/srv/a b/**\" rk,", .file(path: "/srv/a b/**", modes: AppArmorFileModes(["r", "k"]), target: nil)),
        ("/usr/bin/a Px -> helper,", .file(path: "/usr/bin/a", modes: AppArmorFileModes(exec: "Px"), target: "helper")),
        ("/usr/bin/b mrix,", .file(path: "/usr/bin/b", modes: AppArmorFileModes(["m", "r"], exec: "ix"), target: nil)),
        ("/etc/{passwd,group} r,", .file(path: "/etc/{passwd,group}", modes: AppArmorFileModes(["r"]), target: nil)),
        ("capability SYS_ADMIN chown,", .capability(["chown", "sys_admin"])),
        ("network inet6 dgram udp,", .network(family: "inet6", type: "dgram", protocol: "udp")),
        ("network raw,", .network(family: nil, type: "raw", protocol: nil)),
        ("signal (send receive) set=(hup,int),", .other(keyword: "signal", arguments: "(receive,send) set=(hup,int)")),
        ("unmount /mnt/,", .other(keyword: "umount", arguments: "/mnt/")),
        ("set rlimit nofile <= 1024,", .other(keyword: "rlimit", arguments: "nofile <= 1024")),
        ("pivot_root,", .other(keyword: "pivot_root", arguments: "")),
        ("/var/log/a \\\n  w,", .file(path: "/var/log/a", modes: AppArmorFileModes(["w"]), target: nil)),
    ])
    func parsesRuleForms(text: String, body: AppArmorRule.Body) throws {
        let profile = try appArmorProfile(text)
        #expect(profile.rules.map(\.body) == [body])
    }

    @Test func parsesQualifiersCommentsAndVariables() throws {
        let text = """
            # leading comment
            @{APP}=/opt/app
            profile t /usr/bin/t flags = (complain, attach_disconnected) { # trailing comment
              audit deny owner @{APP}/** w,  # a comment with , and {
              allow /a r,
            }
            """
        let profile = try AppArmorProfile(bytes: Array(text.utf8), file: "q.apparmor")
        #expect(profile.variables == ["@{APP}=/opt/app"])
        #expect(profile.flags == ["attach_disconnected", "complain"])
        let rule = try #require(profile.rules.first)
        #expect(rule.isAudit && rule.isDeny && rule.isOwner)
        #expect(rule.line == 4)
        #expect(profile.rules.count == 2)
    }

    @Test(arguments: [
        ("profile t {\n  /a r,\n  profile nested {\n  }\n}\n", 3, "Nested profiles"),
        ("profile t {\n  ^hat {\n  }\n}\n", 2, "Hats"),
        ("profile t {\n  /a r,\n", 1, "not closed"),
        ("profile t {\n  /a r\n}\n", 2, "does not end with ','"),
        ("profile t {\n  /a wa,\n}\n", 2, "'w' and 'a'"),
        ("profile t {\n  /a x,\n}\n", 2, "plain 'x'"),
        ("profile t {\n  deny /a ix,\n}\n", 2, "plain 'x'"),
        ("profile t {\n  /a q,\n}\n", 2, "not a valid file mode"),
        ("profile t {\n\n  capability foo,\n}\n", 3, "not a Linux capability"),
        ("profile t {\n  network inet bogus,\n}\n", 2, "not a network family"),
        ("profile t {\n  frobnicate,\n}\n", 2, "Unknown rule 'frobnicate'"),
        ("profile t {\n  \"/a r,\n}\n", 2, "quoted string"),
        ("profile t {\n  /a/{b,c r,\n}\n", 2, "Unbalanced"),
        ("profile a {\n}\nprofile b {\n}\n", 3, "Only one top-level profile"),
        ("# nothing here\n", 1, "No profile found"),
        ("profile t {\n  /a r,\n}\nstray,\n", 4, "outside a profile"),
    ])
    func rejectsUnsupportedOrMalformedInputWithFileAndLine(text: String, line: Int, message: String) {
        #expect {
            try AppArmorProfile(bytes: Array(text.utf8), file: "bad.apparmor")
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.location.file == "bad.apparmor" && error.location.line == line
                && error.message.contains(message) && error.description.hasPrefix("bad.apparmor:\(line): ")
        }
    }

    @Test func limitsNestingDepth() {
        let deep = "profile t {\n  /a" + String(repeating: "{", count: 40) + " r,\n}\n"
        #expect(throws: InputError.self) { try AppArmorProfile(bytes: Array(deep.utf8), file: "deep.apparmor") }
        let parentheses = "profile t {\n  signal " + String(repeating: "(", count: 40) + ",\n}\n"
        #expect(throws: InputError.self) {
            try AppArmorProfile(bytes: Array(parentheses.utf8), file: "deep.apparmor")
        }
    }

    /// Arbitrary bytes (a fixed pseudo-random sequence, including NUL, invalid UTF-8 and every
    /// delimiter) must produce a profile or an `InputError`, never a crash or a hang.
    @Test func survivesArbitraryBytes() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("profile{},()[]\"#\\/@*?-> rwaxk\n\t".utf8) + [0, 0xFF, 0xC3]
        for length in stride(from: 0, to: 600, by: 3) {
            var bytes: [UInt8] = Array("profile t {\n".utf8)
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let pick = Int(state >> 33)
                bytes.append(pick % 3 == 0 ? UInt8(truncatingIfNeeded: pick) : alphabet[pick % alphabet.count])
            }
            let result = Result { () throws(InputError) in try AppArmorProfile(bytes: bytes, file: "fuzz") }
            if case .failure(let error) = result { #expect(error.location.file == "fuzz") }
        }
    }

    @Test(arguments: [
        ("profile docker-default flags=(attach_disconnected) {\n}\n", true),
        ("# generated\n#include <tunables/global>\n", true),
        ("include <tunables/global>\n", true),
        ("abi <abi/3.0>,\n", true),
        ("/usr/bin/foo {\n}\n", true),
        ("# caps\nCAP_CHOWN\nCAP_SETUID\n", false),
        ("[\"CAP_CHOWN\"]\n", false),
        ("/usr/bin/foo\n", false),
    ])
    func recognisesAppArmorByItsFirstToken(text: String, isProfile: Bool) {
        #expect(AppArmorProfile.looksLikeProfile(Array(text.utf8)) == isProfile)
    }

    // MARK: - Globs

    @Test(arguments: [
        ("/etc/*", "/etc/passwd", true),
        ("/etc/*", "/etc/ssl/certs", false),
        ("/etc/**", "/etc/ssl/certs", true),
        ("/etc/**", "/etc/", true),
        ("/tmp/?", "/tmp/a", true),
        ("/tmp/?", "/tmp/ab", false),
        ("/tmp/?", "/tmp//", false),
        ("/dev/tty[0-9]", "/dev/tty7", true),
        ("/dev/tty[0-9]", "/dev/ttyS", false),
        ("/dev/tty[^0-9]", "/dev/ttyS", true),
        ("/etc/{passwd,group}", "/etc/group", true),
        ("/etc/{passwd,group}", "/etc/shadow", false),
        ("/usr/{lib,lib{32,64}}/**.so", "/usr/lib64/x/libc.so", true),
        ("/{,usr/}bin/*", "/bin/sh", true),
        ("/{,usr/}bin/*", "/usr/bin/sh", true),
        ("@{HOME}/**", "@{HOME}/.ssh/id_rsa", true),
        ("@{HOME}/**", "/root/.ssh/id_rsa", false),
        ("/a\\*b", "/a*b", true),
        ("/a\\*b", "/axb", false),
    ])
    func matchesPaths(glob: String, path: String, expected: Bool) {
        #expect(AppArmorGlob(glob).matches(path) == expected)
    }

    @Test(arguments: [
        ("/etc/*", "/etc/passwd", true),
        ("/etc/**", "/etc/*", true),
        ("/etc/*", "/etc/**", false),
        ("/etc/*", "/etc/*.conf", true),
        ("/etc/*.conf", "/etc/*", false),
        ("/**", "/etc/{passwd,ssl/**}", true),
        ("/etc/{passwd,group}", "/etc/passwd", true),
        ("/etc/passwd", "/etc/{passwd,group}", false),
        ("/dev/tty[0-9]", "/dev/tty[1-3]", true),
        ("/dev/tty[1-3]", "/dev/tty[0-9]", false),
        ("/tmp/*", "/tmp/?", true),
        ("/tmp/?", "/tmp/*", false),
        ("/var/log/**", "/var/log/web/*.log", true),
    ])
    func comparesGlobs(wide: String, narrow: String, expected: Bool) {
        #expect(AppArmorGlob(wide).covers(AppArmorGlob(narrow)) == expected)
    }

    @Test func treatsExplodingOrMalformedGlobsAsOpaque() {
        let exploding = String(repeating: "{a,b,c}", count: 8)
        let glob = AppArmorGlob("/" + exploding)
        #expect(!glob.matches("/aaaaaaaa"))
        #expect(glob.covers(AppArmorGlob("/" + exploding)))
        #expect(!AppArmorGlob("/a/{b").matches("/a/b"))
        #expect(AppArmorGlob("/a/b").isLiteral && !AppArmorGlob("/a/*").isLiteral)
    }

    // MARK: - Semantic diff

    @Test func equalMeaningWithDifferentLayoutHasNoDifference() throws {
        let diff = ProfileDiff.apparmor(
            old: try loadAppArmorFixture("web-old.apparmor"), new: try loadAppArmorFixture("web-reordered.apparmor"))
        #expect(diff.isEmpty, "\(DiffRenderer.text(diff))")
        #expect(!diff.widens)
        #expect(diff.subject == .apparmor)
    }

    @Test(arguments: [
        // Mode widening and narrowing on the same path.
        ("/etc/passwd r,", "/etc/passwd rw,", ProfileDiff.Kind.modesWidened, ProfileDiff.Effect.widening),
        ("/etc/passwd rw,", "/etc/passwd r,", .modesNarrowed, .narrowing),
        ("/var/log/a a,", "/var/log/a w,", .modesWidened, .widening),
        ("/var/log/a w,", "/var/log/a a,", .modesNarrowed, .narrowing),
        ("/var/log/a rw,", "/var/log/a rk,", .modesChanged, .widening),
        // Globs.
        ("/etc/passwd r,", "/etc/* r,", .globWidened, .widening),
        ("/etc/* r,", "/etc/passwd r,", .globNarrowed, .narrowing),
        ("/etc/{passwd,group} r,", "/etc/** r,", .globWidened, .widening),
        ("/etc/passwd r,", "/etc/passwd r, /etc/shadow r,", .added, .widening),
        ("owner /home/** rw,", "/home/** rw,", .added, .widening),
        // Exec.
        ("/usr/bin/a ix,", "/usr/bin/a ux,", .execChanged, .widening),
        ("/usr/bin/a Ux,", "/usr/bin/a ix,", .execChanged, .narrowing),
        ("/usr/bin/a Px,", "/usr/bin/a px,", .execChanged, .widening),
        ("/usr/bin/a ix,", "/usr/bin/a px,", .execChanged, .unknown),
        // Other rules.
        ("capability chown,", "capability chown sys_admin,", .added, .widening),
        ("capability chown,", "capability,", .ruleWidened, .widening),
        ("network inet stream,", "network inet,", .ruleWidened, .widening),
        ("network inet,", "network inet stream,", .ruleNarrowed, .narrowing),
        ("network inet stream,", "network inet stream, network inet6 stream,", .added, .widening),
        ("signal (send) peer=a,", "signal,", .ruleWidened, .widening),
        ("/a r,", "/a r, ptrace (read) peer=t,", .added, .widening),
        ("/a r, mount fstype=proc,", "/a r,", .removed, .narrowing),
        // Deny rules matter where an allow rule overlaps them.
        ("/etc/** r,", "/etc/** r, deny /etc/shadow r,", .denyAdded, .narrowing),
        ("/etc/** r, deny /etc/shadow r,", "/etc/** r,", .denyRemoved, .widening),
        ("/tmp/** r, deny /etc/shadow r,", "/tmp/** r,", .denyRemoved, .neutral),
        ("/etc/*.conf r, deny /etc/s* r,", "/etc/*.conf r,", .denyRemoved, .unknown),
        ("mount, deny mount fstype=proc,", "mount,", .denyRemoved, .widening),
    ])
    func classifiesChanges(old: String, new: String, kind: ProfileDiff.Kind, effect: ProfileDiff.Effect) throws {
        let change = try singleChange(old, new)
        #expect(change.kind == kind)
        #expect(change.effect == effect)
    }

    @Test func modeWideningNamesTheAddedMode() throws {
        let change = try singleChange("/etc/passwd r,", "/etc/passwd rw,")
        #expect(change.name == "file /etc/passwd")
        #expect(change.old == "r")
        #expect(change.new == "rw (adds w)")
    }

    @Test func rulesCoveredByABroaderOneAddNothing() throws {
        let diff = ProfileDiff.apparmor(
            old: try appArmorProfile("/etc/** rw,\nnetwork,\ncapability,"),
            new: try appArmorProfile(
                "/etc/** rw,\n/etc/passwd r,\nnetwork,\nnetwork inet raw,\ncapability,\ncapability sys_admin,"))
        #expect(diff.isEmpty, "\(DiffRenderer.text(diff))")
    }

    @Test(arguments: [
        ("capability sys_admin,", Risk.Level.high),
        ("capability,", .high),
        ("@{PROC}/sys/kernel/** w,", .high),
        ("/proc/sys/net/ipv4/ip_forward rw,", .high),
        ("/sys/class/** w,", .high),
        ("/** w,", .high),
        ("file,", .high),
        ("mount,", .high),
        ("umount,", .high),
        ("pivot_root,", .high),
        ("ptrace (trace) peer=x,", .high),
        ("ptrace (read) peer=x,", .medium),
        ("/usr/bin/a ux,", .high),
        ("network raw,", .medium),
        ("network packet,", .medium),
        ("/etc/shadow r,", .medium),
    ])
    func labelsRiskyAdditions(rule: String, level: Risk.Level) throws {
        let change = try singleChange("/unrelated r,", "/unrelated r,\n" + rule)
        #expect(change.effect == .widening)
        #expect(change.risk?.level == level, "\(change)")
    }

    @Test func readOnlyKernelInterfacesAndOrdinaryRulesHaveNoRiskLabel() throws {
        for rule in ["/proc/sys/kernel/** r,", "/sys/class/net/ r,", "/tmp/** rw,", "network inet stream,"] {
            let change = try singleChange("/unrelated r,", "/unrelated r,\n" + rule)
            #expect(change.risk == nil, "\(rule)")
        }
    }

    @Test func flagsAndIncludesAreReported() throws {
        let old = try AppArmorProfile(bytes: Array("profile t {\n /a r,\n}\n".utf8), file: "a")
        let new = try AppArmorProfile(
            bytes: Array("profile t flags=(complain) {\n #include <abstractions/base>\n /a r,\n}\n".utf8), file: "b")
        let diff = ProfileDiff.apparmor(old: old, new: new)
        #expect(diff.general.map(\.kind) == [.flagAdded, .includeAdded])
        #expect(diff.general.map(\.effect) == [.widening, .unknown])
        #expect(diff.general.first?.risk?.level == .high)
        let reverse = ProfileDiff.apparmor(old: new, new: old)
        #expect(reverse.general.map(\.effect) == [.narrowing, .unknown])
    }

    @Test func fixtureDiffReportsEveryCategory() throws {
        let diff = ProfileDiff.apparmor(
            old: try loadAppArmorFixture("web-old.apparmor"), new: try loadAppArmorFixture("web-new.apparmor"))
        #expect(diff.widens)
        let byName = Dictionary(diff.general.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["file /etc/*"]?.kind == .globWidened)
        #expect(byName["file /etc/*"]?.old == "/etc/passwd r")
        #expect(byName["file /etc/web/config.toml"]?.kind == .modesWidened)
        #expect(byName["exec /usr/bin/logger"]?.kind == .execChanged)
        #expect(byName["capability sys_admin"]?.risk?.level == .high)
        #expect(byName["capability setuid"]?.effect == .narrowing)
        #expect(byName["network inet"]?.kind == .ruleWidened)
        #expect(byName["file @{PROC}/sys/**"]?.kind == .denyRemoved)
        #expect(byName["file @{PROC}/sys/**"]?.effect == .widening)
        #expect(byName["file /sys/**"]?.effect == .neutral)
        #expect(byName["file /etc/shadow"]?.kind == .denyAdded)
        #expect(byName["mount fstype=tmpfs -> /tmp/"]?.risk?.level == .high)
        #expect(byName["file /srv/web data/**"]?.kind == .removed)
    }

    // MARK: - Renderers

    @Test func rendersGoldenOutputs() throws {
        let diff = ProfileDiff.apparmor(
            old: try loadAppArmorFixture("web-old.apparmor"), new: try loadAppArmorFixture("web-new.apparmor"),
            oldName: "web-old.apparmor", newName: "web-new.apparmor")
        expectMatchesGolden(DiffRenderer.render(diff, as: .text), "diff-apparmor.txt")
        expectMatchesGolden(DiffRenderer.render(diff, as: .markdown), "diff-apparmor.md")
        expectMatchesGolden(DiffRenderer.render(diff, as: .json), "diff-apparmor.json")
        #expect(DiffRenderer.render(diff, as: .json) == DiffRenderer.render(diff, as: .json))
    }

    // MARK: - Real AppArmor

    /// The fixtures must be real AppArmor, not just what cinch's parser accepts: each compiles
    /// with `apparmor_parser -Q -K` (parse and compile, no kernel, no cache). This host's kernel
    /// has no AppArmor LSM, so nothing is ever loaded.
    @Test(
        .enabled(
            if: TestEnvironment.available(TestEnvironment.hasTool("apparmor_parser")),
            "apparmor_parser is not installed (apt-get install apparmor)"),
        arguments: validFixtures)
    func fixtureCompilesWithApparmorParser(name: String) throws {
        let result = try Command.run(["apparmor_parser", "-Q", "-K", Fixture.path("apparmor/\(name)")])
        #expect(result.status == 0, "\(result.stderr)")
        _ = try loadAppArmorFixture(name)
    }

    /// Every `*.apparmor` fixture is listed in ``validFixtures``, so none escapes the check above.
    @Test func everyFixtureIsChecked() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixture.path("apparmor"))
            .filter { $0.hasSuffix(".apparmor") }
        #expect(Set(names) == Set(Self.validFixtures))
    }
}
