// SPDX-License-Identifier: Apache-2.0
// `cinch generate security-context`: capabilities from traces or a list file, a securityContext out.

public import CinchGenerate
internal import CinchLinux
public import CinchModel

/// Builds a Kubernetes container `securityContext` and writes it.
public enum SecurityContextJob {
    /// Where the capabilities come from.
    public enum Source: Sendable, Equatable {
        /// Trace files, read as `cinch generate capabilities` reads them.
        case traces([String])
        /// A capability list file in any format ``CapabilityList/init(bytes:file:)`` reads.
        case capabilityList(String)
    }

    /// Reads the source, builds the securityContext and writes it to `output` atomically.
    ///
    /// - Parameters:
    ///   - source: the traces or the capability list.
    ///   - options: the localhost seccomp and AppArmor profiles to name.
    ///   - output: the file to write, or `-` for standard output.
    public static func run(
        _ source: Source, options: SecurityContextGenerator.Options, output: String
    ) -> GenerateJob.Outcome {
        switch source {
        case .traces(let files):
            return GenerateJob.run(.securityContext(options), traceFiles: files, output: output)
        case .capabilityList(let file):
            let list: CapabilityList
            do {
                list = try CapabilityList(bytes: FileIO.read(file), file: file)
            } catch {
                return .unreadableTrace(error)
            }
            return GenerateJob.write(
                ArtifactBuilder.buildSecurityContext(from: list, file: file, options: options), to: output)
        }
    }
}
