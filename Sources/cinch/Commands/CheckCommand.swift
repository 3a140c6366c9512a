// SPDX-License-Identifier: Apache-2.0
// `cinch check` (in progress).

import ArgumentParser

/// `cinch check`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Not implemented yet.")

    func run() throws {
        Console.error("cinch: 'check' is not implemented yet.")
        throw ExitCode(2)
    }
}
