// SPDX-License-Identifier: Apache-2.0
// "Did you mean …?" for a mistyped subcommand.

/// Suggests the subcommand a mistyped first word was meant to be.
enum CommandSuggestion {
    /// A message for `word` when it is not an option and not one of `commands`: the closest
    /// command (at most two edits away, or one it starts), or the list of commands; nil when the
    /// word is an option or a command.
    static func message(for word: String, commands: [String]) -> String? {
        guard !word.hasPrefix("-"), !commands.contains(word) else { return nil }
        let closest = commands.map { (name: $0, distance: distance(word, $0)) }.min { $0.distance < $1.distance }
        if let closest, closest.distance <= 2 || (word.count >= 3 && closest.name.hasPrefix(word)) {
            return "'\(word)' is not a cinch command; did you mean '\(closest.name)'? (see cinch --help)"
        }
        return "'\(word)' is not a cinch command; the commands are \(commands.joined(separator: ", "))."
    }

    /// The Levenshtein distance between two words.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
