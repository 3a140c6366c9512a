// SPDX-License-Identifier: Apache-2.0
// A stand-in apparmor_parser for tests of what cinch does when the parser rejects a profile.

import Foundation

/// Executables that take the place of a system tool through cinch's override variables.
public enum StandInParser {
    /// Writes `DIRECTORY/apparmor_parser`, which rejects every profile the way apparmor_parser
    /// reports errors (file, line 7, "Invalid capability nope."), and returns its path: pass it as
    /// `CINCH_APPARMOR_PARSER`.
    public static func rejectingAppArmor(in directory: String) throws -> String {
        let parser = "\(directory)/apparmor_parser"
        try """
        #!/bin/sh
        echo "AppArmor parser error for $3 in profile $3 at line 7: Invalid capability nope." >&2
        exit 1
        """.write(toFile: parser, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: parser)
        return parser
    }
}
