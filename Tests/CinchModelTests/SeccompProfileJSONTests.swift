// SPDX-License-Identifier: Apache-2.0
// Tests for reading Docker/OCI seccomp profiles strictly and rendering them canonically.

import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

@Suite struct SeccompProfileJSONTests {
    private func profile(_ text: String) throws -> SeccompProfile {
        try SeccompProfile(jsonBytes: Array(text.utf8), file: "inline.json")
    }

    private func rejection(_ bytes: [UInt8], file: String) -> InputError? {
        do {
            _ = try SeccompProfile(jsonBytes: bytes, file: file)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Reading

    @Test func readsDockerProfile() throws {
        let profile = try SeccompProfile.load(path: Fixture.path("seccomp/docker-valid.json"))
        #expect(profile.format == .docker)
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap.map(\.architecture) == [.x86_64, .aarch64])
        #expect(profile.archMap.first?.subArchitectures == [.x86, .x32])
        #expect(profile.architectures.isEmpty)
        #expect(profile.syscalls.count == 4)
        // Empty includes/excludes and an empty comment read as absent.
        #expect(profile.syscalls[0].includes == nil && profile.syscalls[0].excludes == nil)
        #expect(profile.syscalls[1].args == [SeccompProfile.ArgumentCondition(index: 0, value: 0, op: .equal)])
        #expect(profile.syscalls[1].comment == "only the default persona")
        // The deprecated single `name` and `"args": null`.
        #expect(profile.syscalls[2].names == ["ptrace"])
        #expect(profile.syscalls[2].args.isEmpty)
        #expect(
            profile.syscalls[2].includes == SeccompProfile.ConditionFilter(caps: ["CAP_SYS_PTRACE"], minKernel: "4.8"))
        #expect(profile.syscalls[3].errnoRet == 38)
        #expect(profile.syscalls[3].excludes?.caps == ["CAP_SYS_ADMIN"])
        #expect(profile.effectiveArchitectures(native: .x86_64) == [.x86_64, .x86, .x32])
    }

    @Test func readsOCIProfile() throws {
        let profile = try SeccompProfile.load(path: Fixture.path("seccomp/oci-valid.json"))
        #expect(profile.format == .oci)
        #expect(profile.architectures == [.x86_64, .x86, .x32])
        #expect(profile.flags == ["SECCOMP_FILTER_FLAG_LOG"])
        #expect(profile.syscalls.map(\.action) == [.allow, .allow, .errno])
        #expect(
            profile.syscalls[1].args == [SeccompProfile.ArgumentCondition(index: 0, value: 1, valueTwo: 0, op: .equal)])
        #expect(profile.syscalls[2].errnoRet == 13)
    }

    @Test func readsDockerDefaultLikeProfile() throws {
        let profile = try SeccompProfile.load(path: Fixture.path("seccomp/docker-default-like.json"))
        #expect(profile.format == .docker)
        let clone = try #require(profile.syscalls.first { $0.names == ["clone"] })
        #expect(clone.args == [SeccompProfile.ArgumentCondition(index: 0, value: 2_114_060_288, op: .maskedEqual)])
        #expect(clone.excludes?.arches == ["s390", "s390x"])
        let personality = profile.syscalls.filter { $0.names == ["personality"] }
        #expect(personality.map { $0.args.first?.value } == [0, 8, 4_294_967_295])
    }

    @Test(
        arguments: [
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "includes": {"caps": ["CAP_KILL"]}}]}"#,
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "comment": "x"}]}"#,
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "action": "SCMP_ACT_LOG"}]}"#,
            #"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": null}"#,
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "excludes": {}}]}"#,
        ]
    )
    func detectsDockerFromDockerOnlyKeys(text: String) throws {
        #expect(try profile(text).format == .docker)
    }

    @Test func acceptsNullWhereDockerAllowsIt() throws {
        let parsed = try profile(
            """
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": null, "architectures": null, "flags": null,
             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": null, "errnoRet": null,
                           "comment": null, "includes": null, "excludes": {"caps": null, "arches": null}}]}
            """
        )
        #expect(parsed.defaultErrnoRet == nil)
        #expect(parsed.architectures.isEmpty && parsed.flags.isEmpty)
        #expect(parsed.syscalls.first?.args == [])
        #expect(parsed.syscalls.first?.includes == nil && parsed.syscalls.first?.excludes == nil)
        let empty = try profile(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": null}"#)
        #expect(empty.syscalls.isEmpty)
        #expect(empty.format == .oci)
    }

    /// One broken fixture per rejection, with where the reader must point.
    @Test(
        arguments: [
            ("malformed.json", nil, 4, 52, "invalid JSON"),
            ("unknown-action.json", "$.syscalls[1].action", 5, 0, "unknown action \"SCMP_ACT_PERMIT\""),
            ("archmap-and-architectures.json", "$.architectures", 4, 0, "cannot both be given"),
            ("name-and-names.json", "$.syscalls[0].name", 4, 0, "not both"),
            ("unknown-key.json", "$.syscalls[0].errno", 4, 0, "unknown key \"errno\""),
            ("wrong-type.json", "$.syscalls[0].names", 4, 0, "expected an array, found a string"),
            ("empty-names.json", "$.syscalls[0].names", 4, 0, "\"names\" is empty"),
            ("unknown-operator.json", "$.syscalls[0].args[0].op", 4, 0, "unknown operator \"SCMP_CMP_APPROX\""),
            ("unknown-architecture.json", "$.architectures[1]", 3, 0, "unknown architecture \"SCMP_ARCH_VAX\""),
            ("argument-index.json", "$.syscalls[0].args[0].index", 4, 0, "argument index 6 is out of range"),
            ("missing-default-action.json", "$", 1, 1, "\"defaultAction\" is missing"),
        ] as [(String, String?, Int, Int, String)]
    )
    func rejectsBrokenFixture(name: String, path: String?, line: Int, column: Int, fragment: String) throws {
        let file = Fixture.path("seccomp/" + name)
        let error = try #require(rejection(try Fixture.bytes("seccomp/" + name), file: file))
        #expect(error.location.file == file)
        #expect(error.location.jsonPath == path)
        #expect(error.location.line == line)
        if column > 0 { #expect(error.location.column == column) } else { #expect(error.location.column > 0) }
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("\(file):\(line):"))
    }

    @Test(
        arguments: [
            (#"[]"#, "$", "expected an object, found an array"),
            (#"{"defaultAction": 3}"#, "$.defaultAction", "expected a string, found a number"),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": -1}"#, "$.defaultErrnoRet",
                "non-negative integer"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"}"#, "$.defaultAction",
                "duplicate key"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}"#, "$.architectures[0]",
                "unknown architecture"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_LOG"}]}"#, "$.syscalls[0]",
                "needs \"names\""
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}"#, "$.syscalls[0]",
                "\"action\" is missing"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [""], "action": "SCMP_ACT_LOG"}]}"#,
                "$.syscalls[0].names[0]", "empty"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0}]}]}"#,
                "$.syscalls[0].args[0]", "no \"op\""
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]}"#,
                "$.syscalls[0].args[0].value", "no larger than"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "includes": {"minKernel": "four"}}]}"#,
                "$.syscalls[0].includes.minKernel", "not a kernel version"
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"subArchitectures": []}]}"#, "$.archMap[0]",
                "no \"architecture\""
            ),
            (
                #"{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "sub": []}]}"#,
                "$.archMap[0].sub", "unknown key"
            ),
        ]
    )
    func rejectsInlineProblem(text: String, path: String, fragment: String) throws {
        let error = try #require(rejection(Array(text.utf8), file: "inline.json"))
        #expect(error.location.jsonPath == path, "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.location.line == 1)
    }

    @Test func loadReportsUnreadableFileWithSystemReason() throws {
        let missing = Fixture.path("seccomp/does-not-exist.json")
        do {
            _ = try SeccompProfile.load(path: missing)
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.location.file == missing)
            #expect(error.message.contains("No such file or directory"), "\(error)")
        }
        do {
            _ = try SeccompProfile.load(path: Fixture.path("seccomp"))
            Issue.record("loading a directory succeeded")
        } catch {
            #expect(error.message.contains("Is a directory"), "\(error)")
        }
    }

    // MARK: - Rendering

    @Test(arguments: ["docker-valid.json", "oci-valid.json", "docker-default-like.json"])
    func roundTripsThroughCanonicalRendering(name: String) throws {
        let original = try SeccompProfile.load(path: Fixture.path("seccomp/" + name))
        let rendered = original.jsonValue().rendered()
        let reread = try SeccompProfile(jsonBytes: Array(rendered.utf8), file: "rendered.json")
        #expect(reread == original)
        #expect(reread.jsonValue().rendered() == rendered)
        #expect(rendered.hasSuffix("}\n"))
        #expect(!rendered.contains("null"))
    }

    @Test func rendersDockerCanonically() throws {
        let profile = SeccompProfile(
            format: .docker, defaultAction: .errno, defaultErrnoRet: 1,
            archMap: [SeccompProfile.ArchMapEntry(architecture: .x86_64, subArchitectures: [])],
            syscalls: [
                SeccompProfile.Rule(names: ["read", "write"], action: .allow),
                SeccompProfile.Rule(
                    names: ["clone3"], action: .errno, errnoRet: 38, comment: "fall back to clone",
                    excludes: SeccompProfile.ConditionFilter(caps: ["CAP_SYS_ADMIN"])
                ),
            ]
        )
        let expected = """
            {
              "archMap": [
                {
                  "architecture": "SCMP_ARCH_X86_64",
                  "subArchitectures": []
                }
              ],
              "defaultAction": "SCMP_ACT_ERRNO",
              "defaultErrnoRet": 1,
              "syscalls": [
                {
                  "action": "SCMP_ACT_ALLOW",
                  "args": [],
                  "names": [
                    "read",
                    "write"
                  ]
                },
                {
                  "action": "SCMP_ACT_ERRNO",
                  "args": [],
                  "comment": "fall back to clone",
                  "errnoRet": 38,
                  "excludes": {
                    "caps": [
                      "CAP_SYS_ADMIN"
                    ]
                  },
                  "names": [
                    "clone3"
                  ]
                }
              ]
            }

            """
        #expect(profile.jsonValue().rendered() == expected)
    }

    @Test func rendersOCICanonically() throws {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .killProcess, architectures: [.x86_64, .x32],
            syscalls: [
                SeccompProfile.Rule(names: ["read"], action: .allow),
                SeccompProfile.Rule(
                    names: ["personality"], action: .allow,
                    args: [SeccompProfile.ArgumentCondition(index: 0, value: 0xFFFF_FFFF, op: .equal)],
                    comment: "dropped: OCI has no comments"
                ),
            ]
        )
        let expected = """
            {
              "architectures": [
                "SCMP_ARCH_X86_64",
                "SCMP_ARCH_X32"
              ],
              "defaultAction": "SCMP_ACT_KILL_PROCESS",
              "syscalls": [
                {
                  "action": "SCMP_ACT_ALLOW",
                  "names": [
                    "read"
                  ]
                },
                {
                  "action": "SCMP_ACT_ALLOW",
                  "args": [
                    {
                      "index": 0,
                      "op": "SCMP_CMP_EQ",
                      "value": 4294967295,
                      "valueTwo": 0
                    }
                  ],
                  "names": [
                    "personality"
                  ]
                }
              ]
            }

            """
        #expect(profile.jsonValue().rendered() == expected)
    }

    @Test func rendersListenerAndFlagsOnlyWhenSet() {
        var profile = SeccompProfile(format: .oci, defaultAction: .allow)
        #expect(!profile.jsonValue().rendered().contains("listener"))
        #expect(!profile.jsonValue().rendered().contains("flags"))
        profile.flags = ["SECCOMP_FILTER_FLAG_TSYNC"]
        profile.listenerPath = "/run/agent.sock"
        profile.listenerMetadata = "meta"
        let rendered = profile.jsonValue().rendered()
        #expect(rendered.contains("\"listenerPath\": \"/run/agent.sock\""))
        #expect(rendered.contains("\"listenerMetadata\": \"meta\""))
        #expect(rendered.contains("\"SECCOMP_FILTER_FLAG_TSYNC\""))
    }

    // MARK: - Kernel versions

    @Test(
        arguments: [
            ("4.8", KernelVersion(major: 4, minor: 8)),
            ("5.10.0", KernelVersion(major: 5, minor: 10)),
            ("6.1.0-18-amd64", KernelVersion(major: 6, minor: 1)),
            ("5.15.90.1-microsoft-standard-WSL2", KernelVersion(major: 5, minor: 15, patch: 90)),
            ("4", nil),
            ("four.eight", nil),
            ("", nil),
        ] as [(String, KernelVersion?)]
    )
    func parsesKernelVersions(text: String, expected: KernelVersion?) {
        #expect(KernelVersion(text) == expected)
    }

    @Test func ordersKernelVersionsNumerically() {
        #expect(KernelVersion(major: 4, minor: 9) < KernelVersion(major: 4, minor: 10))
        #expect(KernelVersion(major: 5, minor: 0, patch: 1) > KernelVersion(major: 5, minor: 0))
    }
}
