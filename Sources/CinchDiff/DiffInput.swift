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

    /// Recognises and parses a file's contents.
    ///
    /// Contents whose first non-blank character is `{` are a seccomp profile, or an OCI capability
    /// object when every key is an OCI capability set (``CapabilityList/isOCIObject(_:)``); contents that
    /// ``AppArmorProfile/looksLikeProfile(_:)`` (first token `profile`, `#include`, `include`,
    /// `abi`, `@{…}` or `/path … {`) are an AppArmor profile; anything else is read as a
    /// ``CapabilityList``.
    /// - Throws: ``InputError`` naming `file` when the contents cannot be parsed.
    public init(bytes: [UInt8], file: String) throws(InputError) {
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "{") {
            let root = try JSONCursor.parse(bytes, file: file)
            if CapabilityList.isOCIObject(root.node.value) {
                self = .capabilities(try CapabilityList(bytes: bytes, file: file))
            } else {
                self = .seccomp(try SeccompProfile(jsonBytes: bytes, file: file))
            }
        } else if AppArmorProfile.looksLikeProfile(bytes) {
            self = .apparmor(try AppArmorProfile(bytes: bytes, file: file))
        } else {
            self = .capabilities(try CapabilityList(bytes: bytes, file: file))
        }
    }
}
