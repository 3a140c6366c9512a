// SPDX-License-Identifier: Apache-2.0
// What the AppArmor generator writes for ptrace-observed traces: per-run names, siblings, own /proc.

import CinchGenerate
import CinchModel
import Testing

private func profile(_ trace: Trace, siblings: Int = AppArmorProfileGenerator.Options.defaultSiblingLimit) throws
    -> (rules: [String], result: AppArmorProfileGenerator.Result)
{
    let result = AppArmorProfileGenerator.generate(
        from: [trace], options: .init(name: "t", siblingLimit: siblings))
    let text = try #require(result.text)
    let rules = text.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("  #") }.map {
        String($0.dropFirst(2))
    }
    return (rules, result)
}

private func observed(files: [String: String]) -> Trace {
    Trace(
        source: .init(kind: "ptrace"), files: files.mapValues { Set($0) }, observed: [.files, .network, .capabilities])
}

@Suite struct AppArmorGeneralisationTests {
    @Test func perRunNamesOfCreatedFilesBecomeGlobs() throws {
        let (rules, result) = try profile(
            observed(files: [
                "/tmp/app.1234.pid": "cw", "/tmp/tmp.aB3xYz": "crw", "/tmp/index2.html": "cw",
                "/var/log/app.log": "cw", "/tmp/tmp.Qz9kLm/": "c", "/tmp/tmp.Qz9kLm/part": "cw",
                "/data/report.2024.csv": "r",
            ]))
        #expect(rules.contains("/tmp/app.*.pid w,"))
        #expect(rules.contains("/tmp/tmp.* rw,"))
        #expect(rules.contains("/tmp/index2.html w,"), "one digit is not a per-run part")
        #expect(rules.contains("/var/log/app.log w,"))
        #expect(rules.contains("/tmp/tmp.*/ w,"))
        #expect(rules.contains("/tmp/tmp.*/part w,"), "a path below a per-run directory follows it")
        #expect(rules.contains("/data/report.2024.csv r,"), "a file only read keeps its exact name")
        #expect(result.diagnostics.contains { $0.id == "apparmor.generalised-names" })
    }

    @Test func hostileCreatedNamesStayLiteralAndInTheirDirectory() throws {
        let (rules, _) = try profile(
            observed(files: ["/out/x, @{HOME} rwx,": "cw", "/out/{,**}": "cw", "/out/a12, @{HOME} r,": "cw"]))
        #expect(rules.contains("/out/x\\,\\ \\@\\{HOME\\}\\ rwx\\, w,"))
        #expect(rules.contains("/out/\\{\\,\\*\\*\\} w,"))
        // Digits make a per-run part, but the rest stays escaped and `*` cannot cross a `/`.
        #expect(rules.contains("/out/a*\\,\\ \\@\\{HOME\\}\\ r\\, w,"), "\(rules)")
        #expect(rules.filter { $0.hasPrefix("/out/") }.count == 3)
    }

    @Test func manySiblingsReadAlikeBecomeOneRuleExceptInSensitiveDirectories() throws {
        var files: [String: String] = [:]
        for index in 0..<40 {
            files["/usr/share/doc/pkg/file\(index)"] = "r"
            files["/etc/ssl/certs/cert\(index).pem"] = "r"
        }
        for index in 0..<5 { files["/opt/few/f\(index)"] = "r" }
        for index in 0..<40 { files["/usr/share/mixed/b\(index)"] = index == 0 ? "rm" : "r" }
        files["/usr/share/alike/written"] = "rw"
        for index in 0..<40 { files["/usr/share/alike/b\(index)"] = "r" }
        let (rules, result) = try profile(observed(files: files))
        #expect(rules.contains("/usr/share/doc/pkg/* r,"))
        #expect(!rules.contains { $0.hasPrefix("/usr/share/doc/pkg/file") })
        #expect(rules.filter { $0.hasPrefix("/etc/ssl/certs/") }.count == 40, "never below /etc")
        #expect(rules.filter { $0.hasPrefix("/opt/few/") }.count == 5)
        #expect(rules.filter { $0.hasPrefix("/usr/share/mixed/") }.count == 40, "mixed permissions stay exact")
        #expect(
            rules.filter { $0.hasPrefix("/usr/share/alike/") } == [
                "/usr/share/alike/* r,", "/usr/share/alike/written rw,",
            ])
        #expect(result.diagnostics.contains { $0.id == "apparmor.collapsed-siblings" })
        let (exact, _) = try profile(observed(files: files), siblings: 0)
        #expect(exact.filter { $0.hasPrefix("/usr/share/doc/pkg/") }.count == 40)
    }

    @Test func ownProcEntriesFailedAccessesAndPtrace() throws {
        var trace = observed(files: ["/bin/app": "x"])
        trace.processFiles = ["status": ["r"], "fd/": ["r"]]
        trace.threadFiles = ["comm": ["r", "w"]]
        trace.failedFiles = ["/etc/app.conf": .init(access: ["r"], errors: ["ENOENT"])]
        trace.abis[.x86_64] = Trace.ABIRecord(syscalls: ["ptrace": .init(count: 1)])
        let (rules, result) = try profile(trace)
        #expect(rules.contains("@{PROC}/@{pid}/status r,"))
        #expect(rules.contains("@{PROC}/@{pid}/fd/ r,"))
        #expect(rules.contains("@{PROC}/@{pid}/task/@{tid}/comm rw,"))
        #expect(rules.contains("ptrace (read, readby) peer=t,"))
        #expect(rules.contains("ptrace (trace, tracedby) peer=t,"))
        #expect(!rules.contains { $0.contains("app.conf") }, "a failed access gets no rule")
        #expect(result.diagnostics.contains { $0.id == "apparmor.failed-accesses" })
        #expect(rules.suffix(3) == ["deny mount,", "deny umount,", "deny pivot_root,"])
    }
}
