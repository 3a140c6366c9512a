// SPDX-License-Identifier: Apache-2.0
// Validates AppArmor profiles by compiling them with `apparmor_parser -Q -K`, never loading them.

internal import CinchLinux
internal import CinchModel

/// Checks AppArmor profiles with AppArmor's own compiler, `apparmor_parser`.
///
/// The parser runs as `apparmor_parser -Q -K FILE`: `-Q` compiles without loading anything into
/// the kernel and `-K` neither reads nor writes the policy cache, so validation has no effect on
/// the host. That also makes it work on kernels without the AppArmor LSM, and it is all it
/// proves: a profile that compiles can still deny what a workload needs.
///
/// The parser is `$CINCH_APPARMOR_PARSER` when that is set, otherwise `apparmor_parser` from
/// `PATH`, `/usr/sbin` or `/sbin` (it lives in `sbin`, which is often not on a user's `PATH`).
public enum AppArmorValidator {
    /// The environment variable that names the parser to run instead of searching for it.
    public static let parserVariable = "CINCH_APPARMOR_PARSER"

    /// The parser's lines that describe the host rather than the profile, left out of reports.
    static let hostNoise = ["Cache read/write disabled:", "Warning: unable to find a suitable fs in /proc/mounts"]

    /// The parser to run, or nil when none is installed.
    ///
    /// `$CINCH_APPARMOR_PARSER` wins even when it names nothing executable (the report then says
    /// so), so a test or a user can make validation use one particular parser.
    public static func parserPath() -> String? {
        if let chosen = System.environment(parserVariable), !chosen.isEmpty {
            return System.isExecutable(chosen) ? chosen : nil
        }
        let path = System.environment("PATH") ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/apparmor_parser"
            if System.isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// Validates the profile file at `path` (read by the parser itself, so relative includes
    /// resolve as they would when it is loaded).
    ///
    /// `path` must name a file: given a directory, apparmor_parser compiles every file in it.
    /// - Returns: The report; nothing is thrown, an unavailable parser is an outcome.
    public static func validate(path: String) -> ValidationReport {
        // A name starting with `-` must not reach the parser as an option.
        validate(parserInput: path.hasPrefix("-") ? "./" + path : path, file: path)
    }

    /// Validates a profile held in memory, such as one about to be written.
    ///
    /// The text goes to a private temporary directory for the parser; diagnostics name `file`.
    /// - Parameters:
    ///   - text: The profile.
    ///   - file: The name used in diagnostics.
    /// - Returns: The report.
    public static func validate(text: String, file: String) -> ValidationReport {
        let parent = System.environment("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let directory: String
        do {
            directory = try System.makeTemporaryDirectory(in: parent, prefix: "cinch-apparmor-")
        } catch {
            return unavailable("Cannot create a temporary directory for apparmor_parser: \(error).", file: file)
        }
        let temporary = directory + "/profile"
        defer { System.removeDirectory(directory, files: ["profile"]) }
        do {
            try FileIO.writeAtomically(text, to: temporary)
        } catch {
            return unavailable("Cannot write the profile for apparmor_parser: \(error.message).", file: file)
        }
        return validate(parserInput: temporary, file: file)
    }

    /// A report that says the profile could not be checked, and why.
    private static func unavailable(_ message: String, file: String) -> ValidationReport {
        ValidationReport(
            file: file, kind: .apparmor, verdict: .validatorUnavailable,
            diagnostics: [
                Diagnostic(.error, id: "apparmor.parser-unavailable", message, at: ProfileLocation(file: file))
            ])
    }

    private static func validate(parserInput: String, file: String) -> ValidationReport {
        guard let parser = parserPath() else {
            let chosen = System.environment(parserVariable).flatMap { $0.isEmpty ? nil : $0 }
            let why =
                chosen.map { "\(parserVariable)=\($0) is not an executable" }
                ?? "apparmor_parser was not found on PATH or in /usr/sbin and /sbin"
            return unavailable(
                "Cannot validate the AppArmor profile: \(why). Install AppArmor's parser (Debian and Ubuntu: apt-get install apparmor).",
                file: file)
        }
        let outcome: ProcessOutcome
        do {
            outcome = try ProcessRunner.run([parser, "-Q", "-K", parserInput])
        } catch {
            return unavailable("Cannot run \(parser): \(error).", file: file)
        }
        let compiles = outcome.shellStatus == 0
        let text = outcome.outputText + "\n" + outcome.errorText
        var diagnostics: [Diagnostic] = []
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || hostNoise.contains(where: { line.hasPrefix($0) }) { continue }
            diagnostics.append(
                diagnostic(
                    for: line, severity: compiles ? .warning : .error, parserInput: parserInput, file: file))
        }
        if !compiles, !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics.append(
                Diagnostic(
                    .error, id: "apparmor.parser-error",
                    "apparmor_parser rejected the profile (exit status \(outcome.shellStatus)) without saying why.",
                    at: ProfileLocation(file: file)))
        }
        return ValidationReport(
            file: file, kind: .apparmor, verdict: compiles ? .valid : .invalid, diagnostics: diagnostics)
    }

    /// One line of the parser's output as a diagnostic.
    ///
    /// `AppArmor parser error for INPUT in profile WHERE at line N: MESSAGE` becomes MESSAGE at
    /// WHERE:N (WHERE is an included file when the error is there); other lines are kept whole,
    /// without an `apparmor_parser: ` prefix. The parser's name for a temporary copy is replaced
    /// by `file`.
    static func diagnostic(
        for line: String, severity: Diagnostic.Severity, parserInput: String, file: String
    ) -> Diagnostic {
        func shown(_ name: String) -> String { name == parserInput ? file : name }
        var message = line.replacing(parserInput, with: file)
        var location = ProfileLocation(file: file)
        if let inProfile = line.firstRange(of: " in profile "), let atLine = line.firstRange(of: " at line "),
            inProfile.upperBound <= atLine.lowerBound
        {
            let digits = line[atLine.upperBound...].prefix { $0.isASCII && $0.isNumber }
            let rest = line[atLine.upperBound...].dropFirst(digits.count)
            if let number = Int(digits), rest.hasPrefix(":") {
                location = ProfileLocation(
                    file: shown(String(line[inProfile.upperBound..<atLine.lowerBound])), line: number)
                message = String(rest.dropFirst()).trimmingSpaces().replacing(parserInput, with: file)
            }
        } else if message.hasPrefix("apparmor_parser: ") {
            message = String(message.dropFirst("apparmor_parser: ".count))
        }
        let id = severity == .error ? "apparmor.parser-error" : "apparmor.parser-warning"
        return Diagnostic(severity, id: id, message, at: location)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
