// SPDX-License-Identifier: Apache-2.0
// An OCI runtime bundle read from disk, and the temporary copies cinch runs instead of it.

internal import CinchLinux
public import CinchModel

/// An OCI bundle: a directory with `config.json` and a root filesystem.
///
/// cinch never modifies the user's bundle. It writes a temporary bundle directory holding a
/// changed `config.json` whose `root.path` points at the original root filesystem.
public struct OCIBundle: Sendable {
    /// The bundle directory, as given.
    public var directory: String
    /// The parsed `config.json`.
    public var config: JSONValue
    /// The absolute path of the root filesystem.
    public var rootPath: String

    /// Reads and checks `DIR/config.json` and the root filesystem it names.
    ///
    /// - Throws: ``ContainerError`` naming the bundle and what is wrong with it.
    public init(directory: String) throws(ContainerError) {
        self.directory = directory
        let configPath = directory + "/config.json"
        let root: JSONCursor
        do {
            root = try JSONCursor.parse(try FileIO.read(configPath), file: configPath)
        } catch {
            throw ContainerError(.badBundle, "The bundle \(directory) is unusable: \(error).")
        }
        config = root.node.value
        guard case .object = config else {
            throw ContainerError(.badBundle, "The bundle \(directory) is unusable: config.json is not a JSON object.")
        }
        guard let process = config[member: "process"], case .array(let args)? = process[member: "args"], !args.isEmpty
        else {
            throw ContainerError(.badBundle, "The bundle \(directory) has no process.args in config.json.")
        }
        guard let path = config[member: "root"]?[member: "path"]?.stringValue, !path.isEmpty else {
            throw ContainerError(.badBundle, "The bundle \(directory) has no root.path in config.json.")
        }
        let absoluteDirectory = System.absolutePath(directory)
        rootPath = path.hasPrefix("/") ? path : absoluteDirectory + "/" + path
        guard System.isDirectory(rootPath) else {
            throw ContainerError(
                .badBundle, "The bundle \(directory) names root.path \(path), which is not a directory.")
        }
    }

    /// `process.noNewPrivileges` (false when absent, as runc treats it).
    public var noNewPrivileges: Bool { Self.noNewPrivileges(in: config) }

    /// `process.noNewPrivileges` of an OCI `config` (false when absent, as runc treats it).
    public static func noNewPrivileges(in config: JSONValue) -> Bool {
        config[member: "process"]?[member: "noNewPrivileges"]?.boolValue ?? false
    }

    /// `process.capabilities.bounding`, or nil when the config has none.
    public var boundingCapabilities: [String]? {
        guard case .array(let names)? = config[member: "process"]?[member: "capabilities"]?[member: "bounding"] else {
            return nil
        }
        return names.compactMap { $0.value.stringValue }
    }

    /// The container command line (`process.args`).
    public var processArguments: [String] { Self.processArguments(in: config) }

    /// `process.args` of an OCI `config`.
    public static func processArguments(in config: JSONValue) -> [String] {
        guard case .array(let args)? = config[member: "process"]?[member: "args"] else { return [] }
        return args.compactMap { $0.value.stringValue }
    }

    /// The config with `linux.seccomp` replaced (nil removes it), capabilities replaced when given,
    /// and `root.path` made absolute so the config works from another directory.
    public func config(seccomp: JSONValue?, capabilities: [String]? = nil) -> JSONValue {
        var linux = config[member: "linux"] ?? .makeObject([])
        if let seccomp {
            linux = linux.setting("seccomp", to: seccomp)
        } else if case .object(let members) = linux {
            linux = .object(members.filter { $0.key != "seccomp" })
        }
        var result = config.setting("linux", to: linux)
        let root = (config[member: "root"] ?? .makeObject([])).setting("path", to: .string(rootPath))
        result = result.setting("root", to: root)
        if let capabilities {
            let list = JSONValue.makeArray(capabilities.map { .string($0) })
            var caps = JSONValue.makeObject([])
            for set in ["bounding", "effective", "permitted"] { caps = caps.setting(set, to: list) }
            let process = (config[member: "process"] ?? .makeObject([])).setting("capabilities", to: caps)
            result = result.setting("process", to: process)
        }
        return result
    }

    /// Writes a temporary bundle with `config` and returns its directory (remove it when done).
    public static func writeTemporaryBundle(config: JSONValue) throws(ContainerError) -> String {
        let directory: String
        do {
            directory = try System.makeTemporaryDirectory(prefix: Leftovers.bundlePrefix)
        } catch {
            throw ContainerError(.badBundle, "Could not create a temporary bundle: \(error).")
        }
        do {
            // Who made it: a later cinch removes the bundle when this process was killed.
            try FileIO.writeAtomically("\(System.processID)\n", to: directory + "/owner")
            try FileIO.writeAtomically(config.rendered(), to: directory + "/config.json")
        } catch {
            removeTemporaryBundle(directory)
            throw ContainerError(.badBundle, "Could not write the temporary bundle: \(error).")
        }
        return directory
    }

    /// Removes a directory made by ``writeTemporaryBundle(config:)``.
    public static func removeTemporaryBundle(_ directory: String) {
        System.removeDirectory(directory, files: ["config.json", "owner"])
    }

    /// The PID of the cinch process that made a temporary bundle, from its `owner` file.
    public static func owner(ofTemporaryBundle directory: String) -> CInt? {
        guard let bytes = try? FileIO.read(directory + "/owner", limit: 64) else { return nil }
        return CInt(String(decoding: bytes.filter { $0 != 0x0A }, as: UTF8.self))
    }
}
