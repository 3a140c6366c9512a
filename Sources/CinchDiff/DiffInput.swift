// SPDX-License-Identifier: Apache-2.0
// How `cinch diff` recognises its inputs: a seccomp profile, a capability list or an AppArmor profile.

public import CinchModel

/// One side of `cinch diff`: a seccomp profile, a capability list or an AppArmor profile,
/// recognised by content.
public enum DiffInput: Sendable {
    /// A Docker or OCI seccomp profile.
    case seccomp(SeccompProfile)
    /// A capability list.
    case capabilities(CapabilityList)
    /// An AppArmor profile.
    case apparmor(AppArmorProfile)

    /// Reads `path`; the word `docker-default` stands for ``DockerDefaultProfile`` (write
    /// `./docker-default` for a file of that name).
    ///
    /// A file whose first non-blank character is `{` is a seccomp profile; one that
    /// ``AppArmorProfile/looksLikeProfile(_:)`` (first token `profile`, `#include`, `include`,
    /// `abi`, `@{…}` or `/path … {`) is an AppArmor profile; anything else is read as a
    /// ``CapabilityList``.
    /// - Throws: ``InputError`` when the file cannot be read or parsed.
    public static func load(_ path: String) throws(InputError) -> DiffInput {
        if path == DockerDefaultProfile.name { return .seccomp(DockerDefaultProfile.profile) }
        let bytes = try FileIO.read(path)
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "{") { return .seccomp(try SeccompProfile(jsonBytes: bytes, file: path)) }
        if AppArmorProfile.looksLikeProfile(bytes) { return .apparmor(try AppArmorProfile(bytes: bytes, file: path)) }
        return .capabilities(try CapabilityList(bytes: bytes, file: path))
    }
}
