// SPDX-License-Identifier: Apache-2.0
// Seeded mutation fuzzing of every parser that reads untrusted bytes (JSON readers, AppArmor,
// capability lists, audit logs), and the inputs that once broke them.

import CinchFuzzSupport
import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fixture files that seed `target`, with its regression inputs, as (name, bytes).
private func seeds(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
    var result: [(name: String, bytes: [UInt8])] = []
    for directory in target.seedDirectories + [target.regressionDirectory] {
        guard FileIO.exists(Fixture.path(directory)) else { continue }
        for name in try FileIO.directoryEntries(Fixture.path(directory)) {
            result.append((name: "\(directory)/\(name)", bytes: try Fixture.bytes("\(directory)/\(name)")))
        }
    }
    return result
}

/// An environment variable as an integer, or `fallback`.
private func environment(_ name: String, default fallback: Int) -> Int {
    getenv(name).flatMap { Int(String(cString: $0)) } ?? fallback
}

/// Seconds since an arbitrary start, for timing single inputs.
private func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// `bytes` as a Swift string literal body, for failure messages (short inputs only).
private func escaped(_ bytes: [UInt8]) -> String {
    let shown = bytes.prefix(600).map { byte -> String in
        switch byte {
        case 0x20..<0x7F where byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\""):
            String(UnicodeScalar(byte))
        default: "\\u{\(String(byte, radix: 16))}"
        }
    }.joined()
    return bytes.count > 600 ? shown + "… (\(bytes.count) bytes)" : shown
}

@Suite struct FuzzTargetTests {
    /// Every fixture that seeds a target, and every input that once broke it
    /// (`Tests/Fixtures/fuzz/regressions/<target>/`), keeps the properties; some seeds parse.
    @Test(arguments: FuzzTarget.allCases)
    func seedsAndRegressionInputsKeepTheProperties(target: FuzzTarget) throws {
        var outcomes: [FuzzOutcome: Int] = [:]
        for seed in try seeds(target) {
            let outcome = target.check(seed.bytes)
            if case .violated(let message) = outcome { Issue.record("\(target) \(seed.name): \(message)") }
            outcomes[outcome, default: 0] += 1
        }
        #expect(outcomes[.accepted, default: 0] > 0, "no seed of \(target) parses")
    }

    /// Mutated seeds keep the properties and no input takes long. `CINCH_FUZZ_ITERATIONS`
    /// (default 150 per target) and `CINCH_FUZZ_SEED` run longer or other sequences; a failure
    /// names the seed and iteration that reproduce it.
    @Test(arguments: FuzzTarget.allCases)
    func mutatedSeedsKeepTheProperties(target: FuzzTarget) throws {
        let corpus = try seeds(target)
        let iterations = environment("CINCH_FUZZ_ITERATIONS", default: 150)
        let seed = UInt64(environment("CINCH_FUZZ_SEED", default: 15))
        let dictionary = FuzzDictionary.tokens(try Fixture.bytes(target.dictionary))
        var mutator = FuzzMutator(
            seed: seed &+ UInt64(FuzzTarget.allCases.firstIndex(of: target) ?? 0), dictionary: dictionary)
        var accepted = 0
        var rejected = 0
        for iteration in 0..<iterations {
            let base = corpus[mutator.below(corpus.count)]
            let other = corpus[mutator.below(corpus.count)]
            let input = mutator.mutate(base.bytes, splicing: other.bytes)
            let start = now()
            let outcome = target.check(input)
            let elapsed = now() - start
            switch outcome {
            case .accepted: accepted += 1
            case .rejected: rejected += 1
            case .violated(let message):
                Issue.record(
                    "\(target) seed \(seed) iteration \(iteration) (from \(base.name)): \(message)\ninput: \(escaped(input))"
                )
                return
            }
            #expect(elapsed < 2, "\(target) seed \(seed) iteration \(iteration) took \(elapsed) s: \(escaped(input))")
        }
        #expect(accepted > 0, "no mutated input of \(target) parsed: the mutations never reach the success path")
        #expect(rejected > 0, "every mutated input of \(target) parsed: the mutations never reach the error path")
    }

    /// Inputs no seed leads to quickly: nesting far past every limit, huge numbers, invalid
    /// UTF-8, NUL bytes, a byte-order mark, nothing at all.
    @Test(arguments: FuzzTarget.allCases)
    func hostileInputsKeepTheProperties(target: FuzzTarget) {
        let deep = 100_000
        let inputs: [[UInt8]] = [
            [],
            [0],
            [0xEF, 0xBB, 0xBF] + Array("{}".utf8),
            [UInt8](repeating: UInt8(ascii: "["), count: deep),
            [UInt8](repeating: UInt8(ascii: "]"), count: deep),
            Array(String(repeating: "{\"a\":", count: deep).utf8),
            Array(String(repeating: "[1,", count: deep).utf8),
            [UInt8](repeating: UInt8(ascii: "("), count: deep),
            Array("profile x {\n  /a \(String(repeating: "{", count: deep)) r,\n}\n".utf8),
            Array("[\"\(String(repeating: "9", count: deep))\"]".utf8),
            Array("{\"cinchTrace\": 1e999999999, \"processes\": 18446744073709551616}".utf8),
            Array("{\"cinchTrace\": 1, \"processes\": -9223372036854775809}".utf8),
            Array("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 4294967296}".utf8),
            Array("{\"cinchProfiles\": 1, \"profiles\": [{\"path\": \"a\\u0000b\", \"traces\": [\"t\"]}]}".utf8),
            [UInt8](Array("[\"".utf8)) + [0xC0, 0x80, 0xED, 0xA0, 0x80, 0xFF] + Array("\"]".utf8),
            Array("[\"\\ud800\"]".utf8),
            Array("type=SECCOMP msg=audit(".utf8) + [UInt8](repeating: UInt8(ascii: "9"), count: deep),
            Array("audit: type=1326 audit(1.1:1): pid=1 arch=c000003e syscall=18446744073709551615 compat=0\n".utf8),
            Array(
                String(
                    repeating: "type=SECCOMP msg=audit(1.1:1): pid=1 arch=c000003e syscall=0 compat=0\n", count: 2000
                ).utf8),
            Array(String(repeating: " ", count: deep).utf8) + [0x1D],
        ]
        for input in inputs {
            let start = now()
            if case .violated(let message) = target.check(input) {
                Issue.record("\(target): \(message)\ninput: \(escaped(input))")
            }
            let elapsed = now() - start
            #expect(elapsed < 2, "\(target) took \(elapsed) s: \(escaped(input))")
        }
    }
}
