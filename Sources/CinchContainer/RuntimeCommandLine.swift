// SPDX-License-Identifier: Apache-2.0
// The command line a container engine gives an OCI runtime (runc's, which crun shares).

/// What an engine asked the OCI runtime to do, read from a runc-style command line.
///
/// Engines call the runtime as `RUNTIME [GLOBAL FLAGS] COMMAND [FLAGS] [ID]`: podman's conmon,
/// containerd's runc shim and CRI-O all use runc's syntax, and crun accepts it. cinch reads only
/// what it needs to decide whether to record (the command, the bundle, the container ID and the
/// pid file) and passes the whole command line on unchanged either way.
public struct RuntimeCommandLine: Sendable, Equatable {
    /// The arguments after the program name, as given.
    public var arguments: [String]
    /// The global flags before the command, as given (`--root DIR`, `--log FILE`, `--systemd-cgroup`…).
    public var globalFlags: [String]
    /// The command (`create`, `run`, `start`, `state`, `kill`, `delete`, `exec`…), nil for none.
    public var command: String?
    /// `--bundle`/`-b` of `create` and `run`; nil when not given (the runtime then uses the
    /// current directory).
    public var bundle: String?
    /// crun's `--config`/`-f` of `create` and `run` (the config file, instead of the bundle's).
    public var configFile: String?
    /// `--pid-file` of `create`, `run` and `exec`.
    public var pidFile: String?
    /// `--process`/`-p` of `exec`: the JSON file of the process to start.
    public var processFile: String?
    /// `--preserve-fds N` of `create` and `run`: descriptors 3 to 3+N-1 go to the container.
    public var preservedDescriptors: Int
    /// `--detach`/`-d` of `run` and `exec`.
    public var detach: Bool
    /// The command's first operand: the container ID.
    public var containerID: String?

    /// Global flags that take a value in the next argument when written without `=`.
    static let globalValueFlags: Set<String> = [
        "--root", "--log", "--log-format", "--log-level", "--criu", "--rootless", "--cgroup-manager",
    ]
    /// `create` and `run` flags that take a value.
    static let createValueFlags: Set<String> = [
        "--bundle", "-b", "--console-socket", "--pid-file", "--preserve-fds", "--pidfd-socket", "--config", "-f",
    ]
    /// `exec` flags that take a value (runc's; crun's are a subset).
    static let execValueFlags: Set<String> = [
        "--console-socket", "--pidfd-socket", "--cwd", "--env", "-e", "--user", "-u", "--additional-gids", "-g",
        "--process", "-p", "--process-label", "--apparmor", "--cap", "-c", "--preserve-fds", "--pid-file", "--cgroup",
    ]

    /// Reads `arguments` (without the program name). Never fails: what it does not understand it
    /// leaves to the runtime, which gets the command line unchanged.
    public init(_ arguments: [String]) {
        self.arguments = arguments
        globalFlags = []
        preservedDescriptors = 0
        detach = false
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-") {
            let flag = arguments[index]
            globalFlags.append(flag)
            index += 1
            if Self.globalValueFlags.contains(flag), index < arguments.count {
                globalFlags.append(arguments[index])
                index += 1
            }
        }
        guard index < arguments.count else {
            command = nil
            return
        }
        command = arguments[index]
        index += 1
        let valueFlags: Set<String>? =
            switch command {
            case "create", "run": Self.createValueFlags
            case "exec": Self.execValueFlags
            default: nil
            }
        var operands: [String] = []
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                operands += arguments[index...]
                break
            }
            guard argument.hasPrefix("-"), argument.count > 1 else {
                operands.append(argument)
                continue
            }
            guard let valueFlags else {
                // Other commands' flags: only their operands matter (the ID), and a flag that
                // takes a separate value is not one cinch needs to tell apart from an ID.
                continue
            }
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else if valueFlags.contains(argument), index < arguments.count {
                value = arguments[index]
                index += 1
            }
            switch name {
            case "--bundle", "-b": bundle = value
            case "--config", "-f": configFile = command == "exec" ? nil : value
            case "--process", "-p": processFile = command == "exec" ? value : nil
            case "--pid-file": pidFile = value
            case "--preserve-fds": preservedDescriptors = value.flatMap { Int($0) }.map { max(0, min($0, 4096)) } ?? 0
            case "--detach", "-d": detach = true
            default: break
            }
        }
        containerID = operands.first
    }

    /// Whether this command makes a container (`create`, or `run`, which creates and starts it).
    public var createsContainer: Bool { command == "create" || command == "run" }

    /// The config file the runtime reads: `--config`, else `BUNDLE/config.json` (relative to
    /// `workingDirectory` when the bundle is, or when there is none).
    public func configPath(workingDirectory: String) -> String {
        let base = bundle ?? "."
        let directory = base.hasPrefix("/") ? base : workingDirectory + "/" + base
        guard let configFile else { return directory + "/config.json" }
        return configFile.hasPrefix("/") ? configFile : directory + "/" + configFile
    }

    /// The bundle directory, absolute.
    public func bundleDirectory(workingDirectory: String) -> String {
        let base = bundle ?? "."
        return base.hasPrefix("/") ? base : workingDirectory + "/" + base
    }
}
