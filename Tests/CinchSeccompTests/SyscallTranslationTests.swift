// SPDX-License-Identifier: Apache-2.0
// The translation table against libseccomp's own tables: every name it names exists somewhere,
// and every translation lands on a name the target ABI has.

import CinchModel
import CinchSeccomp
import Testing

@Suite struct SyscallTranslationTests {
    static let presence = SyscallResolver.presence

    @Test(
        arguments: [
            ("open", Architecture.aarch64, ["openat"]),
            ("stat", .aarch64, ["newfstatat"]),
            ("lstat", .riscv64, ["newfstatat"]),
            ("access", .aarch64, ["faccessat"]),
            ("dup2", .aarch64, ["dup3"]),
            ("epoll_wait", .aarch64, ["epoll_pwait"]),
            ("epoll_create", .riscv64, ["epoll_create1"]),
            ("fork", .aarch64, ["clone"]),
            ("vfork", .riscv64, ["clone"]),
            ("pipe", .aarch64, ["pipe2"]),
            ("poll", .aarch64, ["ppoll"]),
            ("select", .aarch64, ["pselect6"]),
            ("inotify_init", .aarch64, ["inotify_init1"]),
            ("rename", .aarch64, ["renameat"]),
            ("rename", .riscv64, ["renameat2"]),
            ("getdents", .aarch64, ["getdents64"]),
            ("time", .aarch64, ["clock_gettime"]),
            ("arch_prctl", .aarch64, []),
            ("newfstatat", .x86, ["fstatat64"]),
            ("fstat", .x86, ["fstat", "fstat64"]),
            ("mmap", .arm, ["mmap2"]),
            ("lseek", .x86, ["lseek", "_llseek"]),
            ("clock_gettime", .x86, ["clock_gettime", "clock_gettime64"]),
            ("futex", .arm, ["futex", "futex_time64"]),
            ("getuid", .x86, ["getuid", "getuid32"]),
            ("stat64", .x86_64, ["stat"]),
            ("fstatat64", .aarch64, ["newfstatat"]),
            ("clock_gettime64", .aarch64, ["clock_gettime"]),
            ("_llseek", .x86_64, ["lseek"]),
            ("read", .s390x, ["read"]),
            ("lseek", .x32, ["lseek"]),
        ] as [(String, Architecture, [String])])
    func mapsANameToWhatTheTargetUses(name: String, target: Architecture, expected: [String]) {
        #expect(SyscallTranslation.equivalents(of: name, on: target, isPresent: Self.presence) == expected)
    }

    /// The table is facts: a misspelt name would silently never match.
    @Test func everyNameInTheTablesIsKnownToLibseccomp() {
        var names = Set(SyscallTranslation.successors.keys)
        for (base, variants) in SyscallTranslation.wideVariants {
            names.insert(base)
            names.formUnion(variants)
        }
        for successors in SyscallTranslation.successors.values { names.formUnion(successors) }
        let abis = Architecture.all.filter(SyscallResolver.supports)
        for name in names.sorted() {
            #expect(abis.contains { SyscallResolver.resolve(name, on: $0) != .unknown }, "\(name)")
        }
    }

    @Test(arguments: [Architecture.aarch64, .arm, .riscv64, .s390x, .x86, .x32, .ppc64le])
    func everyEquivalentExistsOnItsTarget(target: Architecture) {
        for name in SyscallTranslation.successors.keys.sorted() {
            for equivalent in SyscallTranslation.equivalents(of: name, on: target, isPresent: Self.presence) {
                #expect(SyscallResolver.resolve(equivalent, on: target).isPresent, "\(name) → \(equivalent)")
            }
        }
    }

    @Test func aTraceCarriesArgumentsToWhereTheTargetPassesThem() {
        let trace = Trace(
            source: .init(kind: "ptrace"),
            abis: [
                .x86_64: .init(syscalls: [
                    "clone": .init(count: 1, arguments: [0: .init([0])]),
                    "socket": .init(count: 1, arguments: [0: .init([2, 10])]),
                    "fork": .init(count: 1),
                ])
            ])
        let s390x = trace.translated(to: [.s390x], isPresent: Self.presence).trace.abis[.s390x]
        #expect(s390x?.syscalls["clone"]?.arguments == [1: .init([0])])
        #expect(s390x?.syscalls["socket"]?.arguments == [0: .init([2, 10])])
        let aarch64 = trace.translated(to: [.aarch64], isPresent: Self.presence)
        #expect(aarch64.trace.abis.keys.sorted() == [.aarch64])
        #expect(aarch64.trace.abis[.aarch64]?.syscalls["clone"]?.count == 2, "clone and fork")
        #expect(aarch64.trace.abis[.aarch64]?.syscalls["clone"]?.arguments == [0: .init([0])])
        #expect(aarch64.steps.filter(\.isTranslation).map(\.description) == ["fork → clone"])
    }
}
