// SPDX-License-Identifier: Apache-2.0
// The cinch command: record what a workload does, generate least-privilege profiles, prove them.

import ArgumentParser

/// The root command.
@main
struct Cinch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cinch",
        abstract: "Turn what a program or container actually does into the least privilege it needs.",
        discussion: """
            Typical flow: `cinch record -o t.json -- CMD`, `cinch generate seccomp t.json -o p.json`, \
            `cinch validate p.json`, `cinch run --seccomp p.json -- CMD`.
            """,
        version: "0.1.0",
        subcommands: [
            RecordCommand.self, GenerateCommand.self, ValidateCommand.self, RunCommand.self, VerifyCommand.self,
            MinimizeCommand.self,
            AuditCommand.self,
            DiffCommand.self, MergeCommand.self, CheckCommand.self,
        ]
    )
}
