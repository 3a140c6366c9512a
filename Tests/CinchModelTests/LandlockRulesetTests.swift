// SPDX-License-Identifier: Apache-2.0
// Translating AppArmor profiles into Landlock rulesets: the permission mapping, globs, and a note
// for everything Landlock cannot express.

import CinchModel
import Testing

@Suite struct LandlockRulesetTests {
    typealias Access = LandlockRuleset.Access

    static func translate(_ body: String, file: String = "p.apparmor") throws -> LandlockRuleset.Translation {
        let profile = try AppArmorProfile(bytes: Array("profile t {\n\(body)\n}\n".utf8), file: file)
        return LandlockRuleset.translating(profile, file: file)
    }

    static let read: Access = [.readFile, .ioctlDevice]
    static let readBeneath: Access = [.readFile, .readDirectory, .ioctlDevice]
    static let run: Access = [.execute, .readFile]

    /// One rule each: the Landlock rules it becomes (path, kind, rights).
    @Test(
        arguments: [
            ("/etc/hostname r,", [("/etc/hostname", LandlockRuleset.Kind.file, read)]),
            ("/var/log/app.log w,", [("/var/log/app.log", .file, [.writeFile, .truncate, .ioctlDevice])]),
            ("/var/log/app.log a,", [("/var/log/app.log", .file, [.writeFile])]),
            ("/bin/busybox ix,", [("/bin/busybox", .file, run)]),
            ("/usr/lib/ld.so mr,", [("/usr/lib/ld.so", .file, read.union(run))]),
            ("/var/www/** r,", [("/var/www", .beneath, readBeneath)]),
            ("/etc/ r,", [("/etc", .beneath, [.readDirectory])]),
            ("/etc/*.conf r,", [("/etc", .beneath, readBeneath)]),
            (
                "/usr/lib/x86_64-linux-gnu/lib*.so* rm,",
                [("/usr/lib/x86_64-linux-gnu", .beneath, readBeneath.union(run))]
            ),
            ("/{usr/,}lib/** r,", [("/lib", .beneath, readBeneath), ("/usr/lib", .beneath, readBeneath)]),
            ("/srv/my\\ app/x\\* r,", [("/srv/my app/x*", .file, read)]),
            (
                "/tmp/work/** w,",
                [
                    (
                        "/tmp/work", .beneath,
                        [
                            .writeFile, .truncate, .ioctlDevice, .makeRegularFile, .makeDirectory, .makeSymlink,
                            .makeSocket, .makeFIFO, .removeFile, .removeDirectory, .refer,
                        ]
                    )
                ]
            ),
            ("/etc/passwd r,\n/etc/passwd w,", [("/etc/passwd", .file, read.union([.writeFile, .truncate]))]),
        ] as [(String, [(String, LandlockRuleset.Kind, Access)])])
    func mapsPermissionsToLandlockRights(rule: String, expected: [(String, LandlockRuleset.Kind, Access)]) throws {
        let rules = try Self.translate(rule).ruleset.rules
        #expect(rules.map(\.path) == expected.map(\.0))
        #expect(rules.map(\.kind) == expected.map(\.1))
        #expect(rules.map(\.access) == expected.map(\.2), "\(rules.map { $0.access.names })")
    }

    /// Everything cinch handles is denied unless granted: all of ABI 7's filesystem rights.
    @Test func handlesEveryFilesystemRight() throws {
        let ruleset = try Self.translate("/etc/hostname r,").ruleset
        #expect(ruleset.handledAccess == Access.supported(byABI: 7))
        #expect(ruleset.handledAccess.names.count == 16)
    }

    /// Each part Landlock cannot express exactly gets a note with the profile's file and line.
    @Test(arguments: [
        ("/etc/*.conf r,", "landlock.glob-widened", Diagnostic.Severity.warning),
        ("deny /etc/shadow r,", "landlock.deny-not-enforced", .warning),
        ("owner /tmp/x r,", "landlock.owner-ignored", .note),
        ("capability chown,", "landlock.capability", .note),
        ("signal (receive) peer=unconfined,", "landlock.not-expressible", .note),
        ("ptrace (read),", "landlock.not-expressible", .note),
        ("mount,", "landlock.not-expressible", .note),
        ("@{HOME}/x r,", "landlock.not-absolute", .warning),
        ("/tmp/x w,", "landlock.file-create", .note),
        ("/etc/ r,", "landlock.directory-listing", .note),
        ("/usr/bin/env px,", "landlock.exec-mode", .note),
        ("/usr/lib/x.so m,", "landlock.permission-m", .note),
        ("/var/lock/x k,", "landlock.permission-k", .note),
        ("/bin/true ix,", "landlock.exec-reads", .note),
    ])
    func notesWhatLandlockCannotExpress(rule: String, id: String, severity: Diagnostic.Severity) throws {
        let notes = try Self.translate(rule).notes
        let note = try #require(notes.first { $0.id == id }, "\(notes)")
        #expect(note.severity == severity)
        #expect(note.location == ProfileLocation(file: "p.apparmor", line: 2))
    }

    /// A rule that cannot be enforced grants nothing, rather than something wider.
    @Test(arguments: ["@{HOME}/x r,", "deny /etc/** r,", "**/x r,", "/etc/ w,"])
    func unenforceableRulesGrantNothing(rule: String) throws {
        #expect(try Self.translate(rule).ruleset.rules.isEmpty)
    }

    /// `/dir/**` is exactly Landlock's path-beneath, so it needs no note.
    @Test func doubleStarUnderADirectoryIsExact() throws {
        let notes = try Self.translate("/var/www/** r,").notes
        #expect(!notes.contains { $0.id == "landlock.glob-widened" })
    }

    @Test func notesIncludesThatAreNotExpanded() throws {
        let profile = try AppArmorProfile(
            bytes: Array("include <tunables/global>\nprofile t {\n  include <abstractions/base>\n}\n".utf8), file: "p")
        let notes = LandlockRuleset.translating(profile, file: "p").notes
        #expect(notes.filter { $0.id == "landlock.include-not-expanded" }.count == 1)
        #expect(notes.contains { $0.message.contains("<abstractions/base>") })
    }

    /// AppArmor network rules name no ports: TCP is either restricted entirely or not at all.
    @Test(arguments: [
        ("", true), ("network inet dgram,", true), ("network unix stream,", true), ("network inet stream,", false),
        ("network inet6 tcp,", false), ("network inet,", false), ("network,", false),
        ("deny network inet stream,", true),
    ])
    func restrictsTCPWhenTheProfileAllowsNoInetStream(rules: String, restricted: Bool) throws {
        let translation = try Self.translate(rules)
        #expect(translation.ruleset.handledNetwork == (restricted ? [.bindTCP, .connectTCP] : []))
        #expect(
            translation.notes.contains { $0.id == (restricted ? "landlock.tcp-denied" : "landlock.tcp-unrestricted") })
    }

    @Test func rulesAreSortedAndDeterministic() throws {
        let body = "/z r,\n/a/** r,\n/m ix,\n/a/x r,"
        let first = try Self.translate(body)
        #expect(first.ruleset.rules.map(\.path) == ["/a", "/a/x", "/m", "/z"])
        #expect(try Self.translate(body) == first)
    }

    // MARK: - JSON

    @Test func roundTripsThroughJSON() throws {
        let ruleset = try Self.translate("/etc/hostname r,\n/var/www/** r,\n/srv/\"q\" r,").ruleset
        let text = ruleset.jsonValue().rendered()
        #expect(try LandlockRuleset(json: Array(text.utf8), file: "r.json") == ruleset)
    }

    @Test(arguments: [
        (
            #"{"handledAccess": 1, "handledNetwork": 0, "rules": [{"path": "etc", "kind": "file", "access": 4}]}"#,
            "$.rules[0].path"
        ),
        (
            #"{"handledAccess": 1, "handledNetwork": 0, "rules": [{"path": "/e", "kind": "glob", "access": 4}]}"#,
            "$.rules[0].kind"
        ),
        (#"{"handledAccess": -1, "handledNetwork": 0, "rules": []}"#, "$.handledAccess"),
        (#"{"handledAccess": 1, "rules": []}"#, "$"),
        (#"{"handledAccess": 1, "handledNetwork": 0, "rules": [], "x": 1}"#, "$.x"),
    ])
    func rejectsBadRulesetJSONNamingThePath(json: String, path: String) {
        #expect {
            try LandlockRuleset(json: Array(json.utf8), file: "r.json")
        } throws: { error in
            (error as? InputError)?.location.jsonPath == path
        }
    }

    @Test func splitsAlternationsBeforeGlobs() {
        #expect(
            PathPatternProbe.alternatives("/{usr/,}lib{,32}/x") == ["/lib/x", "/lib32/x", "/usr/lib/x", "/usr/lib32/x"])
        #expect(PathPatternProbe.alternatives("/a{b,{c,d}e}") == ["/ab", "/ace", "/ade"])
        // Escaped braces are literal text, not an alternation.
        #expect(PathPatternProbe.alternatives("/a\\{b\\,c\\}") == ["/a{b,c}"])
    }
}

/// The translation's alternation expansion, seen through a one-rule profile (rules sorted by path).
enum PathPatternProbe {
    static func alternatives(_ pattern: String) -> [String] {
        guard
            let profile = try? AppArmorProfile(bytes: Array("profile t {\n\(pattern) r,\n}\n".utf8), file: "p")
        else { return [] }
        return LandlockRuleset.translating(profile, file: "p").ruleset.rules.map(\.path)
    }
}
