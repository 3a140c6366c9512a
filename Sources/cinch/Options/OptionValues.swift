// SPDX-License-Identifier: Apache-2.0
// Option values shared by several commands: profile and list formats, errnos, diff formats.

import ArgumentParser
import CinchDiff
import CinchGenerate
import CinchModel

/// How denied syscalls fail.
enum DefaultErrno: String, ExpressibleByArgument, CaseIterable {
    case EPERM, ENOSYS

    var value: UInt32 { self == .EPERM ? 1 : 38 }
}

/// `--format docker|oci`.
enum ProfileFormat: String, ExpressibleByArgument, CaseIterable {
    case docker, oci

    var model: SeccompProfile.Format { self == .docker ? .docker : .oci }
}

/// `cinch generate seccomp --format docker|oci|spo`: the profile formats plus the
/// security-profiles-operator object that holds one.
enum SeccompOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case docker, oci, spo

    /// The JSON dialect of the profile itself (a `SeccompProfile` object holds the OCI form).
    var model: SeccompProfile.Format { self == .docker ? .docker : .oci }
}

/// `--spo-api v1|v1beta1`.
enum OperatorAPIOption: String, ExpressibleByArgument, CaseIterable {
    case v1, v1beta1

    var model: SeccompProfile.OperatorAPI { self == .v1 ? .v1 : .v1beta1 }
}

/// `--format text|docker|oci|compose|kubernetes`.
enum CapabilityOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, docker, oci, compose, kubernetes

    var model: CapabilityProfileGenerator.Format {
        switch self {
        case .text: .text
        case .docker: .docker
        case .oci: .oci
        case .compose: .compose
        case .kubernetes: .kubernetes
        }
    }
}

/// `--format text|markdown|json`.
enum DiffOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, json

    var model: DiffRenderer.Format {
        switch self {
        case .text: .text
        case .markdown: .markdown
        case .json: .json
        }
    }
}

/// `--fail-on widen|any`.
