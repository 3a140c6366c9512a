// SPDX-License-Identifier: Apache-2.0
// Editing generated profiles in tests (to prove that removing a syscall breaks the workload).

import Foundation

/// Changes to seccomp profile files, made through JSON so layout never matters.
public enum ProfileEditing {
    /// Writes `path` to `output` without `name` in any rule's `names`.
    ///
    /// - Returns: whether the profile allowed `name` before.
    @discardableResult
    public static func removeSyscall(_ name: String, from path: String, writingTo output: String) throws -> Bool {
        guard
            var profile = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any],
            let rules = profile["syscalls"] as? [[String: Any]]
        else { throw EditError(message: "\(path) is not a seccomp profile with syscalls") }
        var found = false
        profile["syscalls"] = rules.map { rule in
            var edited = rule
            if let names = rule["names"] as? [String], names.contains(name) {
                found = true
                edited["names"] = names.filter { $0 != name }
            }
            return edited
        }
        try JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys]).write(
            to: URL(fileURLWithPath: output))
        return found
    }

    /// The profile could not be edited.
    public struct EditError: Error, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// The message.
        public var description: String { message }
    }
}
