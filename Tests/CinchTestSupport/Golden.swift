// SPDX-License-Identifier: Apache-2.0
// Golden-file comparison: generated output must match Tests/Fixtures/golden byte for byte.

import Foundation
public import Testing

/// Compares `actual` with `Tests/Fixtures/golden/<name>`; `CINCH_RECORD_GOLDEN=1` rewrites it.
///
/// On a mismatch the failure shows the first differing line of each, so the change is visible.
public func expectMatchesGolden(
    _ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let path = TestEnvironment.repositoryRoot() + "/Tests/Fixtures/golden/" + name
    if ProcessInfo.processInfo.environment["CINCH_RECORD_GOLDEN"] == "1" {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record(
            "Golden file \(name) is missing; run with CINCH_RECORD_GOLDEN=1 to create it.",
            sourceLocation: sourceLocation)
        return
    }
    if expected == actual { return }
    let left = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let right = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let index =
        zip(left, right).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(left.count, right.count)
    let want = index < left.count ? String(left[index]) : "<end of file>"
    let got = index < right.count ? String(right[index]) : "<end of file>"
    Issue.record(
        "Output differs from golden \(name) at line \(index + 1):\n  expected: \(want)\n  actual:   \(got)",
        sourceLocation: sourceLocation)
}
