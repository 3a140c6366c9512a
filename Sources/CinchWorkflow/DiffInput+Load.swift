// SPDX-License-Identifier: Apache-2.0
// Reading one side of `cinch diff` from a file (the diff module itself reads no files).

public import CinchDiff
internal import CinchLinux
public import CinchModel
internal import CinchSeccomp

extension DiffInput {
    /// Reads `path`; the word `docker-default` stands for ``DockerDefaultProfile`` (write
    /// `./docker-default` for a file of that name). See ``DiffInput/init(bytes:file:)``.
    /// - Throws: ``InputError`` when the file cannot be read or parsed.
    public static func load(_ path: String) throws(InputError) -> DiffInput {
        if path == DockerDefaultProfile.name { return .seccomp(DockerDefaultProfile.profile) }
        return try DiffInput(bytes: try FileIO.read(path), file: path)
    }
}

extension ProfileDiff {
    /// Whether libseccomp knows a syscall on an ABI: how `cinch diff` and `cinch check` tell a
    /// name that does not exist from one that is merely not allowed.
    public static let libseccompPresence: SyscallPresence = SyscallResolver.presence
}
