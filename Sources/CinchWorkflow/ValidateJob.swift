// SPDX-License-Identifier: Apache-2.0
// `cinch validate`: each file to the validator of its kind, one report shape back.

internal import CinchDiff
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
    /// - Parameter includePFC: add libseccomp's pseudo filter code to seccomp reports.
    public static func run(_ files: [String], includePFC: Bool) -> [ValidationReport] {
        files.map { file in
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
            return SeccompValidator.validate(bytes: bytes, file: file, includePFC: includePFC)
        }
    }
}
