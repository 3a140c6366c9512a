// SPDX-License-Identifier: Apache-2.0
// Linux kernel versions, for Docker's minKernel conditions.

/// A Linux kernel version (`major.minor[.patch]`), as Docker's `minKernel` and `uname -r` give it.
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version.
    public var major: Int
    /// The minor version.
    public var minor: Int
    /// The patch level (0 when not given).
    public var patch: Int

    /// Creates a version from its parts.
    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `"4.8"`, `"5.10.0"` or a `uname -r` release such as `"6.1.0-18-amd64"`.
    ///
    /// Anything after the first three dotted numbers, and any `-` or `+` suffix, is ignored; at
    /// least a major and a minor number are required.
    public init?(_ text: String) {
        let core = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = core.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        var numbers: [Int] = []
        for part in parts.prefix(3) {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(part) else {
                return nil
            }
            numbers.append(value)
        }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers.count > 2 ? numbers[2] : 0)
    }

    /// `major.minor.patch`.
    public var description: String { "\(major).\(minor).\(patch)" }

    /// Orders versions numerically.
    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
