// SPDX-License-Identifier: Apache-2.0
// `cinch merge` (in progress).

import ArgumentParser

/// `cinch merge`.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Not implemented yet.")

    func run() throws {
        Console.error("cinch: 'merge' is not implemented yet.")
        throw ExitCode(2)
    }
}
