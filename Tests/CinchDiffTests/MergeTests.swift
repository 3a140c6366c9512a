// SPDX-License-Identifier: Apache-2.0
// Tests of trace and profile merging, and of the profile manifest behind `cinch check`.

import CinchDiff
import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

@Suite struct MergeTests {
    @Test func traceMergeCountsCoverage() throws {
        let interrupted = try Trace.load(path: Fixture.path("traces/interrupted.trace.json"))
        let observations = try Trace.load(path: Fixture.path("traces/observations.trace.json"))
        let merge = try #require(TraceMerge([interrupted, observations, interrupted]))
        #expect(merge.recordings == 3)
        #expect(merge.coverage.map { "\($0.name) \($0.seenIn)" } == ["bind 1", "nanosleep 2", "write 2"])
        #expect(merge.trace.abis[.x86_64]?.syscalls["write"]?.count == 8)
        #expect(TraceMerge([]) == nil)
    }

    @Test func profileMergeReportsConflictingActions() throws {
        let a = try loadFixture("conflict-a.json")
        let b = try loadFixture("conflict-b.json")
        let unresolved = ProfileMerge.merge([a, b], files: ["a", "b"])
        #expect(unresolved.hasConflicts)
        #expect(unresolved.diagnostics.map(\.id) == ["merge.conflicting-action"])
        #expect(
            unresolved.diagnostics.first?.message
                == "Syscall clone3 has different actions (a: SCMP_ACT_ALLOW, b: SCMP_ACT_ERRNO(38)).")

        let allow = ProfileMerge.merge([a, b], files: ["a", "b"], preference: .allow)
        #expect(!allow.hasConflicts)
        #expect(allow.profile.syscalls.map(\.names) == [["clone3", "openat", "read", "write"]])
        #expect(allow.profile.architectures == [.x86_64, .x86])
        let deny = ProfileMerge.merge([a, b], files: ["a", "b"], preference: .deny)
        #expect(deny.profile.syscalls.last?.action == .errno && deny.profile.syscalls.last?.errnoRet == 38)
    }

    /// A union contains each input: diffing an input against the merge never narrows.
    @Test func mergedProfileWidensEachInputOnly() throws {
        let base = try loadFixture("base.docker.json")
        let ptrace = try loadFixture("with-ptrace.json")
        let merged = ProfileMerge.merge([base, ptrace], files: ["base", "ptrace"])
        #expect(!merged.hasConflicts)
        #expect(ProfileDiff.seccomp(old: ptrace, new: merged.profile).isEmpty)
        let fromBase = ProfileDiff.seccomp(old: base, new: merged.profile)
        #expect(fromBase.allChanges.allSatisfy { $0.name == "ptrace" && $0.effect == .widening })
    }
}
