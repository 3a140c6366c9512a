// SPDX-License-Identifier: Apache-2.0
// Locates and reads the checked-in files under Tests/Fixtures without a resource bundle.

internal import CinchLinux
public import CinchModel

/// Access to `Tests/Fixtures`, found from this source file's path.
///
/// Fixtures stay a plain shared folder (no `Bundle.module`), so every test target can use them.
public enum Fixture {
    /// The absolute path of `Tests/Fixtures/<relative>`.
    ///
    /// - Parameters:
    ///   - relative: A path inside `Tests/Fixtures`, such as `seccomp/docker-valid.json`.
    ///   - file: Leave the default: it is this file's path, `…/Tests/CinchTestSupport/Fixture.swift`.
    /// - Returns: The path; the file is not checked for existence.
    public static func path(_ relative: String, file: StaticString = #filePath) -> String {
        var components = "\(file)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(2)  // …/Tests/CinchTestSupport/Fixture.swift → …/Tests
        return (components + ["Fixtures"] + relative.split(separator: "/")).joined(separator: "/")
    }

    /// The bytes of `Tests/Fixtures/<relative>`.
    ///
    /// - Throws: ``InputError`` when the file cannot be read.
    public static func bytes(_ relative: String) throws(InputError) -> [UInt8] {
        try FileIO.read(path(relative))
    }
}
