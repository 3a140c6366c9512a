// SPDX-License-Identifier: Apache-2.0
// What the runtime wrapper delegates to and where it may write traces.

internal import CinchLinux
public import CinchModel

/// The settings of `cinch-runtime`, the OCI runtime wrapper engines call instead of runc.
///
/// Read from `/etc/cinch/runtime.json` (`CINCH_RUNTIME_CONFIG` names another file), which may
/// be absent:
///
/// ```json
/// { "runtime": "crun", "traceDirectory": "/var/lib/cinch/traces" }
/// ```
///
/// `runtime` is the real runtime, a name looked up on `PATH` or an absolute path; without it
/// the wrapper's own name says (`cinch-runtime-crun` delegates to crun), else runc.
/// `traceDirectory` is the only directory the wrapper writes traces to: a container's annotation
/// names a file there, never anywhere else, because whoever can annotate a container (a
/// Kubernetes user, say) must not be able to make root overwrite a host file.
public struct RuntimeWrapperSettings: Sendable, Equatable {
    /// The OCI annotation that asks for a recording; its value names the trace file.
    public static let traceAnnotation = "cinch.dev/trace"
    /// The OCI annotation that names earlier traces (comma-separated, each as the trace
    /// annotation names one, in the trace directory) whose syscalls need no stop: `--known`.
    public static let knownAnnotation = "cinch.dev/known"
    /// The settings file read when `CINCH_RUNTIME_CONFIG` is not set.
    public static let defaultFile = "/etc/cinch/runtime.json"
    /// The trace directory when the settings name none.
    public static let defaultTraceDirectory = "/var/lib/cinch/traces"
    /// The wrapper's own executable name; `-crun` or `-runc` after it picks the delegate.
    public static let executableName = "cinch-runtime"

    /// The real runtime: a name looked up on `PATH`, or an absolute path.
    public var runtime: String
    /// Where traces go.
    public var traceDirectory: String

    /// Creates settings.
    public init(runtime: String, traceDirectory: String = defaultTraceDirectory) {
        self.runtime = runtime
        self.traceDirectory = traceDirectory
    }

    /// The delegate a wrapper called `invokedAs` uses when the settings name none.
    public static func defaultRuntime(invokedAs name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        for runtime in ContainerRuntime.allCases where base.hasSuffix("-" + runtime.rawValue) {
            return runtime.rawValue
        }
        return ContainerRuntime.runc.rawValue
    }

    /// Reads settings from JSON bytes.
    ///
    /// - Throws: ``InputError`` naming the file and JSON path of an unknown key or a bad value.
    public init(jsonBytes bytes: [UInt8], file: String, invokedAs name: String) throws(InputError) {
        runtime = Self.defaultRuntime(invokedAs: name)
        traceDirectory = Self.defaultTraceDirectory
        for (key, cursor) in try JSONCursor.parse(bytes, file: file).objectMembers() {
            switch key {
            case "runtime":
                let value = try cursor.string()
                guard !value.isEmpty, value.hasPrefix("/") || !value.contains("/") else {
                    throw cursor.error("\"runtime\" must be a program name or an absolute path")
                }
                runtime = value
            case "traceDirectory":
                let value = try cursor.string()
                guard value.hasPrefix("/"), !value.split(separator: "/").contains(".."), value != "/" else {
                    throw cursor.error("\"traceDirectory\" must be an absolute path without ..")
                }
                traceDirectory = value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
            default:
                throw cursor.error("unknown key \"\(key)\"; expected runtime or traceDirectory")
            }
        }
    }

    /// The settings for a wrapper called `invokedAs`: from `CINCH_RUNTIME_CONFIG` or
    /// ``defaultFile`` when it exists, else the defaults.
    ///
    /// - Throws: ``InputError`` when the settings file cannot be read or parsed.
    public static func load(invokedAs name: String) throws(InputError) -> RuntimeWrapperSettings {
        let file = System.environment("CINCH_RUNTIME_CONFIG") ?? defaultFile
        guard FileIO.exists(file) else {
            if file != defaultFile {
                throw InputError("no such file (named by CINCH_RUNTIME_CONFIG)", at: ProfileLocation(file: file))
            }
            return RuntimeWrapperSettings(runtime: defaultRuntime(invokedAs: name))
        }
        return try RuntimeWrapperSettings(jsonBytes: try FileIO.read(file), file: file, invokedAs: name)
    }

    /// The trace file an annotation value names: a plain file name in ``traceDirectory``, or an
    /// absolute path to one. Anything else (another directory, `..`, a hidden or odd name) is
    /// refused.
    ///
    /// - Returns: the absolute path, or nil when the value is refused.
    public func tracePath(annotation value: String) -> String? {
        var name = value
        if value.hasPrefix("/") {
            guard value.hasPrefix(traceDirectory + "/") else { return nil }
            name = String(value.dropFirst(traceDirectory.count + 1))
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "+", "@": true
            default: false
            }
        }
        guard allowed, !name.isEmpty, !name.hasPrefix("."), name.utf8.count <= 200 else { return nil }
        return traceDirectory + "/" + name
    }

    /// The first part of the names of the traces of `exec`s into the container recorded at
    /// `tracePath` (`NAME.exec-`, for `NAME.json`): each exec's trace is `NAME.exec-N.json`.
    public static func execTracePrefix(of tracePath: String) -> String {
        (tracePath.hasSuffix(".json") ? String(tracePath.dropLast(5)) : tracePath) + ".exec-"
    }

    /// The traces of the `exec`s into the container recorded at `tracePath`, sorted by number.
    public static func execTraces(of tracePath: String) -> [String] {
        let prefix = execTracePrefix(of: tracePath)
        let directory = String(prefix[..<(prefix.lastIndex(of: "/") ?? prefix.startIndex)])
        let container = prefix.dropFirst(directory.count + 1).dropLast(".exec-".count)
        let numbered = ((try? FileIO.directoryEntries(directory)) ?? []).compactMap { entry -> (Int, String)? in
            guard let exec = execTrace(named: entry), exec.container == container else { return nil }
            return (exec.number, directory + "/" + entry)
        }
        return numbered.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A file name `NAME.exec-N.json` read back: the container's trace name without `.json`
    /// (`NAME`) and N (1 or more), or nil for any other name.
    public static func execTrace(named name: String) -> (container: Substring, number: Int)? {
        guard name.hasSuffix(".json") else { return nil }
        let stem = name.dropLast(5)
        guard let dash = stem.lastIndex(of: "-"), stem[..<dash].hasSuffix(".exec") else { return nil }
        let digits = stem[stem.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(digits), number > 0
        else { return nil }
        return (stem[..<dash].dropLast(".exec".count), number)
    }
}
