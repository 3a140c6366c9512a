// SPDX-License-Identifier: Apache-2.0
// Semantic differences between two profiles (work in progress, issue 5).

/// The semantic difference between two profiles.
public struct ProfileDiff: Sendable {}
