// SPDX-License-Identifier: Apache-2.0
// `cinch audit` (in progress).

import ArgumentParser

/// `cinch audit`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Not implemented yet.")

    func run() throws {
        Console.error("cinch: 'audit' is not implemented yet.")
        throw ExitCode(2)
    }
}
