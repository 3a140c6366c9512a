// SPDX-License-Identifier: Apache-2.0
// Wrapping a bundle's entrypoint in a static helper bind-mounted into the temporary bundle's
// container, so the helper runs first inside the container (the Landlock helper).

public import CinchModel

/// A static executable that runs as the container's entrypoint, does its work, then execs the
/// bundle's `process.args`: `HELPER ARGUMENT… -- ORIGINAL-ARGS…`.
public struct EntrypointWrapper: Sendable, Hashable {
    /// Where the helper appears in the container. `/dev` is the tmpfs the runtime mounts afresh,
    /// so the bind mount's target file is created there, never in the bundle's root filesystem.
    public static let containerPath = "/dev/.cinch-entrypoint"

    /// The helper on the host; it must be statically linked (the root filesystem may have no C library).
    public var helper: String
    /// Its arguments before `--`, written by cinch (never read from the container).
    public var arguments: [String]

    /// Creates a wrapper.
    public init(helper: String, arguments: [String]) {
        self.helper = helper
        self.arguments = arguments
    }
}

extension OCIBundle {
    /// `config` with `process.args` run through `wrapper`: the helper is bind-mounted read-only
    /// (and `nosuid`, `nodev`) at ``EntrypointWrapper/containerPath``, after the bundle's own
    /// mounts, and becomes `process.args[0]`.
    /// - Throws: ``ContainerError`` (`badBundle`) when the bundle has no `process.args` or mounts
    ///   no tmpfs on `/dev` (the helper's mount point would have to be created in the root
    ///   filesystem, which cinch never changes).
    public func config(_ config: JSONValue, wrappedWith wrapper: EntrypointWrapper) throws(ContainerError) -> JSONValue
    {
        let original = processArguments
        guard !original.isEmpty else {
            throw ContainerError(
                .badBundle, "\(directory)/config.json: process.args is empty; there is nothing to run.")
        }
        var mounts: [JSONNode] = []
        if case .array(let existing)? = config[member: "mounts"] { mounts = existing }
        let devIsTmpfs = mounts.contains {
            $0.value[member: "destination"]?.stringValue == "/dev" && $0.value[member: "type"]?.stringValue == "tmpfs"
        }
        guard devIsTmpfs else {
            throw ContainerError(
                .badBundle,
                "\(directory)/config.json: mounts has no tmpfs on /dev, so the Landlock helper has nowhere to be mounted without changing the root filesystem."
            )
        }
        mounts.append(
            JSONNode(
                .makeObject([
                    ("destination", .string(EntrypointWrapper.containerPath)), ("type", .string("bind")),
                    ("source", .string(wrapper.helper)),
                    ("options", .makeArray(["bind", "ro", "nosuid", "nodev"].map { .string($0) })),
                ])))
        let args = [EntrypointWrapper.containerPath] + wrapper.arguments + ["--"] + original
        let process = (config[member: "process"] ?? .makeObject([])).setting(
            "args", to: .makeArray(args.map { .string($0) }))
        return config.setting("mounts", to: .array(mounts)).setting("process", to: process)
    }
}
