// SPDX-License-Identifier: Apache-2.0
// cinch-landlock: restricts itself with a Landlock ruleset, then execs a command. Linked
// statically, so it runs as a container's entrypoint in a root filesystem with no C library.

import CinchLinux
import CinchModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes one line to stderr.
func report(_ line: String) {
    let text = "cinch-landlock: \(line)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

// Usage: cinch-landlock RULESET-JSON -- COMMAND [ARGUMENT…]. cinch writes the ruleset into the
// temporary bundle's process.args; nothing in the container chooses it.
let arguments = CommandLine.arguments
guard arguments.count >= 4, arguments[2] == "--" else {
    report("usage: cinch-landlock RULESET-JSON -- COMMAND [ARGUMENT...]")
    exit(64)
}
let ruleset: LandlockRuleset
do {
    ruleset = try LandlockRuleset(json: Array(arguments[1].utf8), file: "the ruleset argument")
} catch {
    report("error: \(error)")
    exit(64)
}
do {
    let prepared = try Landlock.prepare(ruleset)
    for note in prepared.notes { report("note: \(note)") }
    try Landlock.restrictSelf(with: prepared)
} catch {
    report("error: \(error)")
    exit(126)
}
let command = Array(arguments[3...])
var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
argv.append(nil)
execvp(command[0], argv)
let failure = errno
report("error: cannot execute \(command[0]): \(String(cString: strerror(failure)))")
exit(failure == ENOENT ? 127 : 126)
