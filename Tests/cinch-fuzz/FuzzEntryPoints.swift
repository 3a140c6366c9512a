// SPDX-License-Identifier: Apache-2.0
// The libFuzzer entry points of `make fuzz`: one binary, the parser chosen by CINCH_FUZZ_TARGET.
//
// Built only with `-sanitize=fuzzer` (libFuzzer supplies `main`), and only when CINCH_LIBFUZZER=1
// adds this target to the package: see scripts/fuzz.sh.

import CinchFuzzSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The parser under test, chosen once in ``initialize(_:_:)``.
nonisolated(unsafe) private var target = FuzzTarget.json
/// Inputs that parsed, and inputs rejected with a located error (printed at exit, so a run that
/// never reaches one of the two paths shows it).
nonisolated(unsafe) private var accepted = 0
nonisolated(unsafe) private var rejected = 0

/// Picks the target from `CINCH_FUZZ_TARGET`, before libFuzzer reads its flags.
///
/// With `CINCH_FUZZ_SEEDS=1` it prints the target's seed directories, regression directory and
/// dictionary (relative to `Tests/Fixtures`) and exits, so the script keeps no second list.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
    guard let name = getenv("CINCH_FUZZ_TARGET").map({ String(cString: $0) }), let chosen = FuzzTarget(rawValue: name)
    else {
        report("cinch-fuzz: set CINCH_FUZZ_TARGET to one of: \(names)")
        exit(64)
    }
    target = chosen
    if getenv("CINCH_FUZZ_SEEDS") != nil {
        print("seeds:", (chosen.seedDirectories + [chosen.regressionDirectory]).joined(separator: " "))
        print("dictionary:", chosen.dictionary)
        exit(0)
    }
    atexit {
        report("cinch-fuzz \(target): \(accepted) accepted, \(rejected) rejected")
    }
    return 0
}

/// Runs one input; a violated property aborts, which libFuzzer reports as a crash and saves.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch target.check(bytes) {
    case .accepted: accepted += 1
    case .rejected: rejected += 1
    case .violated(let message):
        report("cinch-fuzz \(target): property violated: \(message)")
        abort()
    }
    return 0
}

/// Writes a line to standard error, where libFuzzer writes its own.
private func report(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
