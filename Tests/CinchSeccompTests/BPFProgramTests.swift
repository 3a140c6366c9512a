// SPDX-License-Identifier: Apache-2.0
// The classic-BPF interpreter: the kernel's checks, its semantics, and the kernel's own answers.

import CinchModel
import CinchSeccomp
import CinchTestSupport
import Foundation
import Testing

@Suite struct BPFProgramTests {
    // MARK: - Checks and semantics

    @Test func refusesWhatTheKernelRefuses() {
        let ret = BPFProgram.Instruction(code: 0x06, k: 0x7FFF_0000)
        let cases: [([BPFProgram.Instruction], String)] = [
            ([], "it has 0 instructions"),
            ([.init(code: 0x20, k: 64), ret], "instruction 0 loads from offset 64"),
            ([.init(code: 0x20, k: 2), ret], "instruction 0 loads from offset 2"),
            ([.init(code: 0x15, jt: 1), ret], "instruction 0 jumps past the end"),
            ([.init(code: 0x05, k: 1), ret], "instruction 0 jumps past the end"),
            ([.init(code: 0x34, k: 0), ret], "divides by the constant 0"),
            ([.init(code: 0x94, k: 3), ret], "opcode 0x94"),
            ([.init(code: 0x28, k: 0), ret], "opcode 0x28"),
            ([.init(code: 0x02, k: 16), ret], "scratch word 16"),
            ([ret, .init(code: 0x20, k: 0)], "instruction 1 is the last and does not return"),
            ([.init(code: 0x60, k: 2), ret], "instruction 0 reads scratch word 2 before every path stores it"),
            (
                [.init(code: 0x15, jt: 1, k: 5), .init(code: 0x02, k: 3), .init(code: 0x60, k: 3), ret],
                "instruction 2 reads scratch word 3"
            ),
        ]
        for (instructions, reason) in cases {
            #expect(throws: BPFProgram.InvalidProgram.self, "\(reason)") {
                try BPFProgram(instructions: instructions)
            }
            do {
                _ = try BPFProgram(instructions: instructions)
            } catch {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
        #expect(throws: BPFProgram.InvalidProgram.self) { try BPFProgram(bytes: [1, 2, 3], byteOrder: .little) }
    }

    /// Loads, arithmetic, scratch memory, jumps and both return forms.
    @Test func evaluatesEveryInstructionSeccompPermits() throws {
        let program = try BPFProgram(instructions: [
            .init(code: 0x20, k: 0),  // A = nr
            .init(code: 0x04, k: 5),  // A += 5
            .init(code: 0x02, k: 3),  // M[3] = A
            .init(code: 0x01, k: 2),  // X = 2
            .init(code: 0x2C),  // A *= X
            .init(code: 0x3C),  // A /= X
            .init(code: 0x14, k: 1),  // A -= 1
            .init(code: 0x64, k: 4),  // A <<= 4
            .init(code: 0x74, k: 4),  // A >>= 4
            .init(code: 0x54, k: 0xFF),  // A &= 0xff
            .init(code: 0x44, k: 0x100),  // A |= 0x100
            .init(code: 0xA4, k: 0x100),  // A ^= 0x100
            .init(code: 0x61, k: 3),  // X = M[3]
            .init(code: 0x1D, jt: 1, jf: 0),  // A == X + ... (nr + 4 != nr + 5) → fall through
            .init(code: 0x05, k: 1),  // JA +1
            .init(code: 0x06, k: 0),  // (skipped)
            .init(code: 0x87),  // A = X
            .init(code: 0x80),  // A = len
            .init(code: 0x35, jt: 0, jf: 2, k: 64),  // A >= 64
            .init(code: 0x20, k: 16),  // A = low word of arg0
            .init(code: 0x16),  // return A
            .init(code: 0x06, k: 0),
        ])
        let data = SeccompData(number: 7, architecture: 0xC000_003E, arguments: [0x1_2345_6789])
        #expect(program.run(data).rawValue == 0x2345_6789)
        let bigEndian = try BPFProgram(
            instructions: [.init(code: 0x20, k: 16), .init(code: 0x16)], byteOrder: .big)
        #expect(bigEndian.run(data).rawValue == 1, "the high word comes first on a big-endian machine")
    }

    /// Whatever bytes pass the checks run to a return: no out-of-range scratch word or load, no
    /// trap on a division by a zero X or a shift by 32 or more.
    @Test func everyProgramThatPassesTheChecksRunsToAnAnswer() {
        var random = Generator(state: 0xB9F)
        let codes: [UInt16] = [
            0x20, 0x80, 0x81, 0x00, 0x01, 0x60, 0x61, 0x02, 0x03, 0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C,
            0x44, 0x4C, 0x54, 0x5C, 0x64, 0x6C, 0x74, 0x7C, 0x84, 0xA4, 0xAC, 0x05, 0x15, 0x1D, 0x25, 0x2D, 0x35,
            0x3D, 0x45, 0x4D, 0x06, 0x16, 0x07, 0x87, 0x94, 0x28,
        ]
        var accepted = 0
        for _ in 0..<3000 {
            let count = 1 + random.next(12)
            let instructions = (0..<count).map { _ in
                BPFProgram.Instruction(
                    code: random.pick(codes), jt: UInt8(random.next(4)), jf: UInt8(random.next(4)),
                    k: random.pick([0, 1, 4, 16, 31, 32, 60, 64, 0xFFFF_FFFF] as [UInt32]))
            }
            let ending = BPFProgram.Instruction(code: random.pick([0x06, 0x16] as [UInt16]), k: 0x7FFF_0000)
            guard let program = try? BPFProgram(instructions: instructions + [ending]) else { continue }
            accepted += 1
            let data = SeccompData(
                number: Int32(random.next(400)), architecture: 0xC000_003E,
                arguments: (0..<6).map { _ in UInt64(random.next(1 << 20)) })
            _ = program.run(data)
        }
        #expect(accepted > 100)
    }

    @Test func decodesActions() {
        #expect(SeccompReturn(rawValue: 0x7FFF_0000).description == "SCMP_ACT_ALLOW")
        #expect(SeccompReturn(rawValue: 0x0005_0026).description == "SCMP_ACT_ERRNO(38)")
        #expect(SeccompReturn(rawValue: 0x8000_0000).action == .killProcess)
        #expect(SeccompReturn(rawValue: 0).action == .killThread)
        #expect(SeccompReturn(rawValue: 0x7FFC_0000).isAllowed)
        #expect(!SeccompReturn(rawValue: 0x7FF0_0001).isAllowed)
    }

    // MARK: - Against the kernel

    /// Syscalls that ignore their arguments and cannot fail, so any argument values are safe and
    /// an allowed call returns a non-negative number.
    static let harmless = ["getpid", "getppid", "gettid", "sched_yield", "getuid", "getgid", "geteuid", "getegid"]
    static let values: [UInt64] = [0, 1, 2, 7, 0xFF, 0x100, 0x8000_0000, 0xDEAD_BEEF, 0xFFFF_FFFF]
    static let wideValues: [UInt64] = [0x1_0000_0000, 0x1_0000_00FF, 0xFFFF_FFFF_FFFF_FFFF]

    /// A small deterministic generator, so every run tests the same cases.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    struct Case: CustomStringConvertible {
        var abi: Architecture
        var name: String
        var number: Int32
        var arguments: [UInt64]
        var description: String { "\(abi.name) \(name)(\(arguments.map { "0x" + String($0, radix: 16) }))" }
    }

    /// A profile with masked, ranged and multi-argument rules on harmless syscalls; each rule
    /// returns its own errno, so the kernel's answer names the rule.
    static func profile(_ random: inout Generator, seed: Int) -> SeccompProfile {
        var rules: [SeccompProfile.Rule] = [.init(names: ["write", "exit_group", "exit"], action: .allow)]
        let operators = SeccompProfile.Operator.allCases
        var errno: UInt32 = 100
        for name in harmless.shuffled(using: &random).prefix(4) {
            for _ in 0..<(1 + random.next(3)) {
                var indexes = Array(0..<6).shuffled(using: &random).prefix(1 + random.next(2))
                indexes.sort()
                let conditions = indexes.map { index -> SeccompProfile.ArgumentCondition in
                    let op = random.pick(operators)
                    let value = random.pick(values)
                    return op == .maskedEqual
                        ? .init(index: UInt32(index), value: value, valueTwo: random.pick(values) & value, op: op)
                        : .init(index: UInt32(index), value: value, op: op)
                }
                // Mostly errno rules, whose errno names the rule; some allow, log or trace (which,
                // without a tracer, fails the call with ENOSYS).
                let action = [.allow, .log, .trace, .errno, .errno, .errno][random.next(6)] as SeccompProfile.Action
                // libseccomp refuses (EEXIST) the same conditions with another action.
                if rules.contains(where: { $0.names == [name] && $0.args == conditions }) { continue }
                rules.append(
                    .init(
                        names: [name], action: action, errnoRet: action == .errno ? errno : nil, args: conditions))
                errno += 1
            }
        }
        if seed % 2 == 0 { rules.append(.init(names: [random.pick(harmless)], action: .allow)) }
        return SeccompProfile(
            format: .oci, defaultAction: .errno, defaultErrnoRet: 99, architectures: [.x86_64, .x86], syscalls: rules)
    }

    static func cases(_ random: inout Generator, profile: SeccompProfile) -> [Case] {
        let named = Array(Set(profile.syscalls.flatMap(\.names)).intersection(harmless)).sorted()
        let conditionValues = profile.syscalls.flatMap(\.args).flatMap { [$0.value, $0.valueTwo, $0.value &+ 1] }
        var cases: [Case] = []
        for abi in [Architecture.x86_64, .x86] {
            for _ in 0..<14 {
                let name = random.next(5) == 0 ? random.pick(harmless) : random.pick(named)
                var pool = values + conditionValues
                if abi == .x86_64 { pool += wideValues }
                let arguments = (0..<6).map { _ in random.pick(pool) & (abi == .x86 ? 0xFFFF_FFFF : .max) }
                let resolved = abi == .x86 ? name32(name) : name
                guard case .number(let number) = SyscallResolver.resolve(resolved, on: abi) else { continue }
                cases.append(Case(abi: abi, name: resolved, number: number, arguments: arguments))
            }
        }
        return cases
    }

    /// i386's `getuid` and friends are the 16-bit-id calls; the 32-bit ones are what libc uses.
    static func name32(_ name: String) -> String {
        ["getuid", "getgid", "geteuid", "getegid"].contains(name) ? name + "32" : name
    }

    /// The interpreter's answer equals the kernel's for every generated case: the same filter is
    /// loaded into cinch-probe, which makes each call (x86 ones with `int $0x80`) and prints what
    /// it got back. An allowed call returns a non-negative value; a denied one the rule's errno.
    @Test(
        .enabled(if: TestEnvironment.available(TestEnvironment.hasProduct("cinch-probe")), "cinch-probe not built"),
        .timeLimit(.minutes(1)))
    func agreesWithTheKernelOnGeneratedCases() throws {
        var random = Generator(state: 0xC1C4)
        var checked = 0
        var x86Checked = 0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cinch-bpf-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var compiled = 0
        var outcomes = Set<String>()
        for seed in 0..<40 where compiled < 10 {
            var profile = Self.profile(&random, seed: seed)
            // Names with 32-bit variants on i386 get the same rules there.
            profile.syscalls = profile.syscalls.map { rule in
                var rule = rule
                rule.names += rule.names.map(Self.name32).filter { !rule.names.contains($0) }
                return rule
            }
            let compilation = SeccompProfileCompiler.compile(profile, native: .x86_64)
            // A generated combination libseccomp refuses is no case; another profile is drawn.
            guard let bytes = compilation.bpf else { continue }
            compiled += 1
            let program = try BPFProgram(bytes: bytes, byteOrder: .little)
            let file = directory.appendingPathComponent("filter-\(seed).bpf")
            try Data(bytes).write(to: file)
            let cases = Self.cases(&random, profile: profile)
            let steps = cases.map { call in
                (call.abi == .x86 ? "raw80:" : "raw:")
                    + ([UInt64(call.number)] + call.arguments).map { String($0) }
                    .joined(separator: ",")
            }
            let result = try Command.run([TestEnvironment.product("cinch-probe"), "seccomp:" + file.path] + steps)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == cases.count, "\(result.stdout)\(result.stderr)")
            for (call, line) in zip(cases, lines) {
                let fields = line.split(separator: " ").compactMap { Int64($0) }
                guard fields.count == 2 else {
                    Issue.record("unexpected output \(line)")
                    continue
                }
                let verdict = program.run(SeccompData(abi: call.abi, number: call.number, arguments: call.arguments))
                let kernelAllowed = fields[0] >= 0 && fields[1] == 0
                #expect(verdict.isAllowed == kernelAllowed, "\(call): interpreter \(verdict), kernel \(line)")
                if !verdict.isAllowed {
                    // SCMP_ACT_TRACE without a tracer fails the call with ENOSYS.
                    let expected = verdict.action == .trace ? 38 : Int64(verdict.data)
                    #expect(verdict.action == .errno || verdict.action == .trace, "\(call)")
                    #expect(expected == fields[1], "\(call): interpreter \(verdict), kernel \(line)")
                }
                checked += 1
                if call.abi == .x86 { x86Checked += 1 }
                outcomes.insert(
                    verdict.action == .errno ? (verdict.data == 99 ? "default" : "rule") : verdict.action.rawValue)
            }
        }
        #expect(compiled == 10)
        #expect(
            outcomes == ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "default", "rule"],
            "every kind of answer is compared")
        #expect(checked >= 200)
        #expect(x86Checked >= 100)
    }
}

extension BPFProgramTests.Generator: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
