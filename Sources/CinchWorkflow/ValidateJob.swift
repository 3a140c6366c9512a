// SPDX-License-Identifier: Apache-2.0
// `cinch validate`: each file to the validator of its kind, one report shape back.

internal import CinchDiff
internal import CinchGenerate
internal import CinchLinux
internal import CinchModel
public import CinchValidate

/// Validates profile files, each with the validator of its kind.
public enum ValidateJob {
    /// Validates every file in order.
    ///
    /// An AppArmor profile (recognised by its text) goes to ``AppArmorValidator`` (the parser
    /// reads the file itself, so relative includes resolve as when it is loaded); anything else
    /// is read as a seccomp profile by ``SeccompValidator``. A file that cannot be read gets an
    /// ``ValidationReport/Verdict/unusable`` report.
    /// With `traces`, every seccomp profile that compiles is also proven against them: each
    /// recorded call is replayed through its compiled filter (``FilterReplay``), and each call the
    /// filter does not allow is an error located at the trace. A trace that cannot be read makes
    /// one ``ValidationReport/Verdict/unusable`` report for it, and nothing is validated.
    /// - Parameters:
    ///   - includePFC: add libseccomp's pseudo filter code to seccomp reports.
    ///   - traces: trace files to replay through every seccomp profile.
    public static func run(_ files: [String], includePFC: Bool, traces: [String] = []) -> [ValidationReport] {
        let inputs: [TraceInput]
        do throws(InputError) {
            inputs = try TraceInput.load(traces)
        } catch {
            return [
                ValidationReport(
                    file: error.location.file, kind: .seccomp, verdict: .unusable,
                    diagnostics: [Diagnostic(.error, id: "input.unreadable", error.message, at: error.location)])
            ]
        }
        return files.map { file in
            let bytes: [UInt8]
            do throws(InputError) {
                bytes = try FileIO.read(file)
            } catch {
                return ValidationReport(
                    file: file, kind: .seccomp, verdict: .unusable,
                    diagnostics: [Diagnostic(.error, id: "input.unreadable", error.message, at: error.location)])
            }
            if AppArmorProfile.looksLikeProfile(bytes) {
                return file == "-"
                    ? AppArmorValidator.validate(text: String(decoding: bytes, as: UTF8.self), file: file)
                    : AppArmorValidator.validate(path: file)
            }
            var report = SeccompValidator.validate(bytes: bytes, file: file, includePFC: includePFC)
            guard !inputs.isEmpty, report.verdict == .valid,
                let profile = try? SeccompProfile(jsonBytes: bytes, file: file)
            else { return report }
            let replay = FilterReplay(profile: profile, file: file).replay(inputs.map { ($0.file, $0.trace) })
            report.replay = replay
            report.diagnostics += replay.diagnostics
            if !replay.allAllowed { report.verdict = .invalid }
            return report
        }
    }
}
