// SPDX-License-Identifier: Apache-2.0
// `--format text|json` for the commands that end with a summary (validate, verify, record).

import ArgumentParser
import CinchModel

/// `--format text|json`: how validate, verify and record report their result.
struct SummaryOptions: ParsableArguments {
    /// The summary formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "The summary on standard output: text, or json (one JSON document; see docs/ci.md).")
    var format: Format = .text

    /// Whether the summary is JSON.
    var isJSON: Bool { format == .json }

    /// Prints a JSON summary document on standard output.
    func print(_ document: JSONValue) {
        Swift.print(document.rendered(), terminator: "")
    }
}
