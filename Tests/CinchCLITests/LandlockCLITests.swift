// SPDX-License-Identifier: Apache-2.0
// AppArmor profiles enforced with real Landlock: `cinch run --apparmor` on the host, and
// `cinch verify --apparmor` in real runc and crun containers through the static helper.

import CinchLinux
import CinchTestSupport
import Foundation
import Testing

/// What the Landlock tests need: Landlock ABI 7 (denials audit-logged after execve) and an audit
/// log cinch can read, so a denied path can be named.
enum LandlockEnvironment {
    static let canEnforce: Bool = {
        let log = ProcessInfo.processInfo.environment["CINCH_AUDIT_LOG"] ?? "/var/log/audit/audit.log"
        return (Landlock.abiVersion ?? 0) >= 7 && FileManager.default.isReadableFile(atPath: log)
            && TestEnvironment.isRoot
    }()

    /// busybox-static with every symbolic link resolved (`/bin` is a link to `/usr/bin` on
    /// merged-/usr systems): cinch never follows a link in a rule's path, as AppArmor matches
    /// paths with links resolved.
    static let busybox = URL(fileURLWithPath: "/bin/busybox").resolvingSymlinksInPath().path

    /// A fresh directory named without `//` or symbolic links (the kernel names paths resolved).
    static func directory() throws -> String {
        let path = try Command.temporaryDirectory("landlock")
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(LandlockEnvironment.canEnforce && TestEnvironment.hasProduct("cinch")),
        "needs root, Landlock ABI 7, a readable audit log (auditd) and the built cinch"),
    .timeLimit(.minutes(2))
)
struct LandlockRunCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// A directory with `allowed.txt` and `secret.txt`, and a profile that lets busybox read only
    /// the first. busybox is static, so the profile needs no loader or libraries.
    func fixture() throws -> (directory: String, profile: String) {
        let directory = try LandlockEnvironment.directory()
        try "allowed\n".write(toFile: directory + "/allowed.txt", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: directory + "/secret.txt", atomically: true, encoding: .utf8)
        let profile = directory + "/busybox.apparmor"
        try """
        profile busybox-cat {
          \(LandlockEnvironment.busybox) ix,
          \(directory)/allowed.txt r,
        }

        """.write(toFile: profile, atomically: true, encoding: .utf8)
        return (directory, profile)
    }

    @Test func runsACommandThatStaysWithinTheProfile() throws {
        let (directory, profile) = try fixture()
        defer { Command.removeDirectory(directory) }
        let result = try Command.run([
            cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "cat", directory + "/allowed.txt",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "allowed\n")
        #expect(result.stderr.contains("[landlock.instead-of-apparmor]"), "\(result.stderr)")
        #expect(!result.stderr.contains("Landlock denied"), "\(result.stderr)")
    }

    /// The proof: a file the profile does not name is denied by the kernel, and cinch names it.
    @Test func deniesAndNamesAPathMissingFromTheProfile() throws {
        let (directory, profile) = try fixture()
        defer { Command.removeDirectory(directory) }
        let result = try Command.run([
            cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "cat", directory + "/secret.txt",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Permission denied"), "\(result.stderr)")
        #expect(
            result.stderr.contains("cinch: Landlock denied \(directory)/secret.txt (fs.read_file)"), "\(result.stderr)")
    }

    /// The ruleset is applied before execve, so a dynamically linked program's loader must be
    /// allowed too: a profile naming only the program cannot even start it, and cinch names the loader.
    @Test func theDynamicLoaderMustBeAllowedByTheProfile() throws {
        let directory = try LandlockEnvironment.directory()
        defer { Command.removeDirectory(directory) }
        let profile = directory + "/true.apparmor"
        try "profile t {\n  /usr/bin/true ix,\n}\n".write(toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([cinch, "run", "--apparmor", profile, "--", "/usr/bin/true"])
        #expect(result.status == 126, "\(result.stderr)")
        #expect(result.stderr.contains("Permission denied"), "\(result.stderr)")
        #expect(result.stderr.contains("ld-linux"), "\(result.stderr)")
        #expect(result.stderr.contains("(fs.execute"), "\(result.stderr)")
    }

    /// `--seccomp` and `--apparmor` together: both are in force in the same child.
    @Test func appliesASeccompFilterAndTheLandlockRulesetTogether() throws {
        let (directory, profile) = try fixture()
        defer { Command.removeDirectory(directory) }
        let seccomp = directory + "/no-getcwd.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}"#
            .write(toFile: seccomp, atomically: true, encoding: .utf8)
        let both = ["run", "--seccomp", seccomp, "--apparmor", profile, "--", LandlockEnvironment.busybox]
        let read = try Command.run([cinch] + both + ["cat", directory + "/allowed.txt"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout == "allowed\n")
        let denied = try Command.run([cinch] + both + ["cat", directory + "/secret.txt"])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("Landlock denied \(directory)/secret.txt (fs.read_file)"), "\(denied.stderr)")
        let filtered = try Command.run([cinch] + both + ["pwd"])
        #expect(filtered.status != 0, "the seccomp filter denies getcwd: \(filtered.stdout)")
        #expect(filtered.stderr.contains("getcwd: Operation not permitted"), "\(filtered.stderr)")
    }

    /// A rule's path is never followed through a symbolic link (AppArmor matches the resolved
    /// path, and a planted link must not grant another file): the rule grants nothing, with a note.
    @Test func aRuleThroughASymbolicLinkGrantsNothing() throws {
        let (directory, _) = try fixture()
        defer { Command.removeDirectory(directory) }
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link.txt", withDestinationPath: directory + "/secret.txt")
        let profile = directory + "/link.apparmor"
        try "profile l {\n  \(LandlockEnvironment.busybox) ix,\n  \(directory)/link.txt r,\n}\n".write(
            toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([
            cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "cat", directory + "/link.txt",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(directory)/link.txt goes through a symbolic link"), "\(result.stderr)")
        #expect(result.stderr.contains("Landlock denied \(directory)/secret.txt (fs.read_file)"), "\(result.stderr)")
    }

    /// TCP is all or nothing: without an inet stream rule a connect is denied and its port named;
    /// with one it reaches the network (nothing listens on port 1, so it is refused instead).
    @Test(arguments: [(false, "Permission denied"), (true, "Connection refused")])
    func deniesTCPConnectUnlessTheProfileAllowsInetStream(allowsTCP: Bool, error: String) throws {
        let directory = try LandlockEnvironment.directory()
        defer { Command.removeDirectory(directory) }
        let profile = directory + "/tcp.apparmor"
        try "profile tcp {\n  \(LandlockEnvironment.busybox) ix,\n\(allowsTCP ? "  network inet stream,\n" : "")}\n"
            .write(
                toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([
            cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "wget", "-q", "-O", "-",
            "http://127.0.0.1:1/",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains(error), "\(result.stderr)")
        #expect(
            result.stderr.contains("Landlock denied TCP port 1 on 127.0.0.1 (net.connect_tcp)") == !allowsTCP,
            "\(result.stderr)")
    }

    /// Every rule Landlock cannot enforce exactly is reported, with its line; the run still happens.
    @Test func reportsWhatLandlockCannotEnforce() throws {
        let (directory, _) = try fixture()
        defer { Command.removeDirectory(directory) }
        let profile = directory + "/notes.apparmor"
        try """
        profile notes {
          \(LandlockEnvironment.busybox) ix,
          \(directory)/*.txt r,
          deny \(directory)/secret.txt r,
          capability chown,
          signal (receive) peer=unconfined,
          \(directory)/missing r,
        }

        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([
            cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "cat", directory + "/secret.txt",
        ])
        #expect(result.status == 0, "the glob is widened to its directory and the deny rule is not enforced")
        for expected in [
            "notes.apparmor:3: warning:", "[landlock.glob-widened]", "notes.apparmor:4: warning:",
            "[landlock.deny-not-enforced]", "notes.apparmor:5: note:", "[landlock.capability]",
            "notes.apparmor:6: note:", "[landlock.not-expressible]", "\(directory)/missing: No such file or directory",
            "[landlock.tcp-denied]",
        ] {
            #expect(result.stderr.contains(expected), "\(expected) in \(result.stderr)")
        }
    }

    @Test func rejectsAProfileThatDoesNotParseNamingFileAndLine() throws {
        let directory = try LandlockEnvironment.directory()
        defer { Command.removeDirectory(directory) }
        let profile = directory + "/bad.apparmor"
        try "profile bad {\n  /etc/passwd r,\n  capability\n  /x r\n}\n".write(
            toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([cinch, "run", "--apparmor", profile, "--", LandlockEnvironment.busybox, "true"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("\(profile):3:"), "\(result.stderr)")
    }

    @Test func rejectsAMissingProfileAndAMissingOption() throws {
        let missing = try Command.run([cinch, "run", "--apparmor", "/nonexistent.apparmor", "--", "true"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("/nonexistent.apparmor"), "\(missing.stderr)")
        let none = try Command.run([cinch, "run", "--", "true"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--apparmor"), "\(none.stderr)")
    }
}

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            LandlockEnvironment.canEnforce && BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")
                && TestEnvironment.hasProduct("cinch-landlock")),
        "needs root, Landlock ABI 7, a readable audit log, busybox-static, runc, crun and the built cinch and helper"),
    .timeLimit(.minutes(4))
)
struct LandlockVerifyCLITests {
    let cinch = TestEnvironment.product("cinch")

    init() { BusyboxBundle.prepareCgroupsForCrun() }

    /// busybox httpd serving `/www` with a CGI shell script; the profile allows exactly that.
    static func profile(withCGI: Bool) -> String {
        """
        # busybox httpd with one CGI script
        abi <abi/3.0>,
        profile web flags=(attach_disconnected) {
          /bin/busybox ix,
          /www/ r,
          /www/index.html r,
        \(withCGI ? "  /www/cgi-bin/hello rix,\n" : "")  network inet stream,
          capability net_bind_service,
        }

        """
    }

    func makeBundle(port: Int) throws -> BusyboxBundle {
        let bundle = try BusyboxBundle(
            arguments: ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", "/www"], noNewPrivileges: false)
        let cgi = bundle.directory + "/rootfs/www/cgi-bin"
        try FileManager.default.createDirectory(atPath: cgi, withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho 'hello from cgi'\n".write(
            toFile: cgi + "/hello", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cgi + "/hello")
        return bundle
    }

    /// Every file under the bundle with its size, mode and modification time.
    static func snapshot(_ directory: String) -> [String: String] {
        var result: [String: String] = [:]
        let manager = FileManager.default
        for case let path as String in manager.enumerator(atPath: directory) ?? .init() {
            let attributes = (try? manager.attributesOfItem(atPath: directory + "/" + path)) ?? [:]
            result[path] =
                "\(attributes[.size] ?? "") \(attributes[.posixPermissions] ?? "") \(attributes[.modificationDate] ?? "")"
        }
        return result
    }

    static func temporaryBundles() -> Set<String> {
        Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter {
                $0.hasPrefix("cinch-bundle-")
            })
    }

    /// The acceptance: the profile passes; without the CGI script's rule verify fails and names
    /// the script; the user's bundle is never changed and nothing is left behind either way.
    @Test(arguments: [("runc", 18221), ("crun", 18222)])
    func verifiesAndNamesTheDeniedCGIScript(runtime: String, port: Int) throws {
        let bundle = try makeBundle(port: port)
        defer { bundle.remove() }
        let dir = bundle.directory
        try Self.profile(withCGI: true).write(toFile: dir + "/web.apparmor", atomically: true, encoding: .utf8)
        try Self.profile(withCGI: false).write(toFile: dir + "/no-cgi.apparmor", atomically: true, encoding: .utf8)
        let before = Self.snapshot(dir)
        let bundlesBefore = Self.temporaryBundles()
        let container = [
            "--bundle", dir, "--runtime", runtime, "--driver",
            "wget -q -O - http://127.0.0.1:\(port)/cgi-bin/hello | grep -q 'hello from cgi' && wget -q -O - http://127.0.0.1:\(port)/ | grep -q cinch",
            "--wait-port", "\(port)", "--grace", "1", "--timeout", "40",
        ]

        let pass = try Command.run([cinch, "verify", "--apparmor", dir + "/web.apparmor"] + container)
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.contains("verify: ok"), "\(pass.stdout)")
        #expect(pass.stderr.contains("[landlock.capability]"), "\(pass.stderr)")
        #expect(RuntimeState.leftoverContainers() == [])

        let fail = try Command.run([cinch, "verify", "--apparmor", dir + "/no-cgi.apparmor"] + container)
        #expect(fail.status == 1, "\(fail.stdout)\(fail.stderr)")
        #expect(fail.stdout.contains("verify: FAILED: Landlock denied"), "\(fail.stdout)")
        #expect(fail.stdout.contains("/www/cgi-bin/hello (fs.execute"), "\(fail.stdout)")
        #expect(RuntimeState.leftoverContainers() == [])

        #expect(Self.snapshot(dir) == before, "the user's bundle is never modified")
        #expect(Self.temporaryBundles() == bundlesBefore, "no temporary bundle is left behind")
    }

    /// A profile that allows no TCP socket keeps httpd from binding its port; verify names the port.
    @Test func deniesTCPBindWhenTheProfileAllowsNoInetStream() throws {
        let port = 18223
        let bundle = try makeBundle(port: port)
        defer { bundle.remove() }
        let profile = bundle.directory + "/no-net.apparmor"
        try Self.profile(withCGI: true).replacingOccurrences(of: "  network inet stream,\n", with: "").write(
            toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run([
            cinch, "verify", "--apparmor", profile, "--bundle", bundle.directory, "--runtime", "runc", "--driver",
            "true", "--wait-port", "\(port)", "--grace", "1", "--timeout", "20",
        ])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("TCP port \(port) on 127.0.0.1 (net.bind_tcp)"), "\(result.stdout)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// The helper's mount point must not be created in the user's root filesystem: a bundle
    /// without a tmpfs on /dev is refused, naming its config.json, with nothing left behind.
    @Test func refusesABundleWithoutATmpfsOnDev() throws {
        let bundle = try makeBundle(port: 18224)
        defer { bundle.remove() }
        let path = bundle.directory + "/config.json"
        var config = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let mounts = try #require(config["mounts"] as? [[String: Any]])
        config["mounts"] = mounts.filter { ($0["destination"] as? String) != "/dev" }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        try Self.profile(withCGI: true).write(
            toFile: bundle.directory + "/web.apparmor", atomically: true, encoding: .utf8)
        let bundlesBefore = Self.temporaryBundles()
        let result = try Command.run([
            cinch, "verify", "--apparmor", bundle.directory + "/web.apparmor", "--bundle", bundle.directory,
            "--runtime", "runc",
        ])
        #expect(result.status == 64, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("config.json"), "\(result.stderr)")
        #expect(result.stderr.contains("tmpfs on /dev"), "\(result.stderr)")
        #expect(Self.temporaryBundles() == bundlesBefore)
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// Without the helper nothing can be enforced in a container: a clear error, not a run
    /// without Landlock.
    @Test func saysWhenTheHelperIsMissing() throws {
        let bundle = try makeBundle(port: 18225)
        defer { bundle.remove() }
        let profile = bundle.directory + "/web.apparmor"
        try Self.profile(withCGI: true).write(toFile: profile, atomically: true, encoding: .utf8)
        let result = try Command.run(
            [cinch, "verify", "--apparmor", profile, "--bundle", bundle.directory, "--runtime", "runc"],
            environment: ["CINCH_LANDLOCK_HELPER": "/nonexistent/cinch-landlock"])
        #expect(result.status == 70, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("/nonexistent/cinch-landlock"), "\(result.stderr)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    @Test func refusesSeccompAndAppArmorTogether() throws {
        let result = try Command.run([
            cinch, "verify", "--apparmor", "a", "--seccomp", "b", "--bundle", "/nonexistent",
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("not both"), "\(result.stderr)")
    }
}
