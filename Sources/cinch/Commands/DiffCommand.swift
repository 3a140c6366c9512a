// SPDX-License-Identifier: Apache-2.0
// `cinch diff` (in progress).

import ArgumentParser

/// `cinch diff`.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Not implemented yet.")

    func run() throws {
        Console.error("cinch: 'diff' is not implemented yet.")
        throw ExitCode(2)
    }
}
