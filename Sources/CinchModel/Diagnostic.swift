// SPDX-License-Identifier: Apache-2.0
// Findings reported by validation and generation: values, not thrown errors.

/// A finding about an input or an output: an error, a warning or a note.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a finding is.
    public enum Severity: String, Sendable, Hashable, Comparable {
        /// Informational.
        case note
        /// Suspicious but usable.
        case warning
        /// The input is wrong or unusable.
        case error

        private var rank: Int {
            switch self {
            case .note: 0
            case .warning: 1
            case .error: 2
            }
        }

        /// Orders by seriousness.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// How serious it is.
    public var severity: Severity
    /// A stable identifier such as `seccomp.unknown-syscall`.
    public var id: String
    /// A complete sentence.
    public var message: String
    /// Where it is.
    public var location: ProfileLocation?

    /// Creates a diagnostic.
    public init(_ severity: Severity, id: String, _ message: String, at location: ProfileLocation? = nil) {
        self.severity = severity
        self.id = id
        self.message = message
        self.location = location
    }

    /// `file:line:column: severity: message [id]` in the style compilers use.
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return "\(place)\(severity.rawValue): \(message) [\(id)]"
    }
}

/// Where in an input file a finding is: file, line, column and JSON path.
public struct ProfileLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path, as the user gave it.
    public var file: String
    /// 1-based line, or 0 when unknown.
    public var line: Int
    /// 1-based column, or 0 when unknown.
    public var column: Int
    /// A JSON path such as `$.syscalls[3].names[0]`, or nil.
    public var jsonPath: String?

    /// Creates a location.
    public init(file: String, line: Int = 0, column: Int = 0, jsonPath: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.jsonPath = jsonPath
    }

    /// `file:line:column (path)`.
    public var description: String {
        var text = file
        if line > 0 { text += ":\(line)" + (column > 0 ? ":\(column)" : "") }
        if let jsonPath { text += " (\(jsonPath))" }
        return text
    }
}
