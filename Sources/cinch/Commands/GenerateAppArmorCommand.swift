// SPDX-License-Identifier: Apache-2.0
// `cinch generate apparmor`: traces in, least-privilege AppArmor profile out.

import ArgumentParser
import CinchGenerate
import CinchModel
import CinchWorkflow

/// `cinch generate apparmor`.
struct GenerateAppArmorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apparmor",
        abstract: "Generate a least-privilege AppArmor profile from one or more traces.",
        discussion: """
            The profile allows exactly the files (with the permissions seen), socket families and \
            types, and capabilities the traces observed, plus the signal rules a container needs, \
            and denies a few kernel interfaces outright. Several traces are merged by union. Output \
            is byte-identical for the same input. See docs/apparmor.md.

            Input: traces whose "observed" list has "files": `cinch record --files` (the default \
            with --bundle), or `cinch audit ingest` of AppArmor complain-mode records \
            (docs/audit.md). Other traces are refused.

            Per-run names of files the workload created (digits, random-looking suffixes) are \
            written with `*`; a directory with --siblings or more files read alike is written as \
            `DIR/* PERMS` (never below /etc, /root, /home, /proc, /sys, /dev, /boot, /run/secrets, \
            /var/run/secrets); failed accesses get no rule. Notes say what was generalised.

            Paths come from inside the container and are escaped so each rule matches exactly the \
            path observed; paths that cannot be written that way (not absolute, control characters) \
            are left out with a warning.

            Before writing, the profile is compiled with `apparmor_parser -Q -K` (nothing is \
            loaded) when the parser is installed ($CINCH_APPARMOR_PARSER, PATH, /usr/sbin, /sbin); \
            otherwise a note says it was not checked.

            Exit status: 0 on success (warnings and notes go to stderr); 64 when a trace is unusable \
            or did not observe files, or the profile does not compile (nothing is written then); 73 \
            when the profile cannot be written.
            """
    )

    @OptionGroup var io: GeneratorIO

    @Option(help: "Profile name: letters, digits, '.', '_', '-' (default: cinch-<recorded command>).")
    var name: String?

    @Flag(help: "Put the profile in complain mode: AppArmor logs what it would deny instead of denying.")
    var complain = false

    @Option(
        help: """
            Write a directory whose files were read alike by --siblings or more rules as one DIR/* \
            rule (0: never).
            """)
    var siblings = AppArmorProfileGenerator.Options.defaultSiblingLimit

    func validate() throws {
        if let name, !AppArmorProfileGenerator.isProfileName(name) {
            throw ValidationError(
                "The profile name '\(name)' is not allowed: use 1 to \(AppArmorProfileGenerator.nameLimit) letters, digits, '.', '_' or '-', starting with a letter or digit."
            )
        }
    }

    func run() throws {
        try io.generate(
            .apparmor(.init(name: name, complain: complain, siblingLimit: siblings)),
            refusal: "no profile was written: fix the problems above."
        )
    }
}
