// SPDX-License-Identifier: Apache-2.0
// Builds small OCI bundles from busybox-static (and a static probe) for container tests.

import Foundation

/// A throwaway OCI bundle: a busybox root filesystem and a `config.json` made by `runc spec`.
public struct BusyboxBundle {
    /// The bundle directory.
    public let directory: String

    /// Whether the container tools these tests need are installed (busybox-static, runc, crun).
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/bin/busybox") && TestEnvironment.hasTool("runc")
            && TestEnvironment.hasTool("crun") && TestEnvironment.isRoot
    }

    /// Makes a bundle in a new temporary directory.
    ///
    /// - Parameters:
    ///   - arguments: `process.args`.
    ///   - noNewPrivileges: `process.noNewPrivileges`.
    ///   - withProbe: also copy a statically linked `cinch-probe` to `/cinch-probe`.
    /// The container shares the host's network namespace, so a driver on the host reaches it on
    /// 127.0.0.1.
    public init(arguments: [String], noNewPrivileges: Bool, withProbe: Bool = false) throws {
        directory = try Command.temporaryDirectory("bundle")
        let rootfs = directory + "/rootfs"
        let manager = FileManager.default
        for sub in ["bin", "proc", "sys", "dev", "tmp", "etc", "www"] {
            try manager.createDirectory(atPath: rootfs + "/" + sub, withIntermediateDirectories: true)
        }
        try manager.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "ls", "cat", "httpd", "echo", "sleep", "true", "wget"] {
            try manager.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "<h1>cinch</h1>\n".write(toFile: rootfs + "/www/index.html", atomically: true, encoding: .utf8)
        if withProbe { try manager.copyItem(atPath: try Self.staticProbe(), toPath: rootfs + "/cinch-probe") }
        let spec = try Command.run(["runc", "spec"], directory: directory)
        guard spec.status == 0 else { throw BundleError(message: "runc spec failed: \(spec.stderr)") }
        let path = directory + "/config.json"
        guard
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any], var process = config["process"] as? [String: Any],
            var linux = config["linux"] as? [String: Any], var root = config["root"] as? [String: Any],
            let namespaces = linux["namespaces"] as? [[String: Any]]
        else { throw BundleError(message: "unexpected runc spec output") }
        process["args"] = arguments
        process["terminal"] = false
        process["noNewPrivileges"] = noNewPrivileges
        root["readonly"] = false
        linux["namespaces"] = namespaces.filter { ($0["type"] as? String) != "network" }
        config["process"] = process
        config["root"] = root
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
    }

    /// Removes the bundle.
    public func remove() { Command.removeDirectory(directory) }

    /// A bundle running busybox httpd on 127.0.0.1:`port` that serves `/www/index.html` and a CGI
    /// script, `/cgi-bin/hello.cgi`, which prints `/www/secret.txt`.
    public static func httpdWithCGI(port: Int, noNewPrivileges: Bool = false) throws -> BusyboxBundle {
        let bundle = try BusyboxBundle(
            arguments: ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", "/www"], noNewPrivileges: noNewPrivileges)
        let www = bundle.directory + "/rootfs/www"
        try FileManager.default.createDirectory(atPath: www + "/cgi-bin", withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\ncat /www/secret.txt\n".write(
            toFile: www + "/cgi-bin/hello.cgi", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: www + "/cgi-bin/hello.cgi")
        try "secret\n".write(toFile: www + "/secret.txt", atomically: true, encoding: .utf8)
        return bundle
    }

    /// crun refuses this VM's hybrid cgroup layout unless hugetlb is on cgroup v1; mounts it
    /// (idempotent, failures ignored: a machine that needs nothing has nothing to mount).
    public static func prepareCgroupsForCrun() {
        _ = try? Command.run([
            "sh", "-c",
            "mountpoint -q /sys/fs/cgroup/hugetlb || { mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; }",
        ])
    }

    /// A statically linked probe (the package builds a dynamic one, which a busybox root
    /// filesystem cannot run), compiled once per test process with the system C compiler.
    public static func staticProbe() throws -> String {
        let output = TestEnvironment.repositoryRoot() + "/.build/cinch-probe-static"
        let source = TestEnvironment.repositoryRoot() + "/Sources/cinch-probe/probe.c"
        let manager = FileManager.default
        if let built = try? manager.attributesOfItem(atPath: output)[.modificationDate] as? Date,
            let edited = try? manager.attributesOfItem(atPath: source)[.modificationDate] as? Date, built >= edited
        {
            return output
        }
        let result = try Command.run(["cc", "-O2", "-D_GNU_SOURCE", "-pthread", "-static", "-o", output, source])
        guard result.status == 0 else { throw BundleError(message: "cannot build a static probe: \(result.stderr)") }
        return output
    }

    /// Building the bundle failed.
    public struct BundleError: Error, CustomStringConvertible {
        /// What failed.
        public var message: String
        /// The message.
        public var description: String { message }
    }
}

/// Container runtimes' lists, to check that no test leaves a container behind.
public enum RuntimeState {
    /// What `RUNTIME state ID` reports, or nil when the runtime does not know the container.
    public static func state(_ runtime: String, id: String) -> (status: String, bundle: String)? {
        guard let result = try? Command.run([runtime, "state", id]), result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let status = object["status"] as? String, let bundle = object["bundle"] as? String
        else { return nil }
        return (status, bundle)
    }

    /// The containers one cinch process made (its ids are `cinch-PID-N`) that `runtime list` still has.
    public static func containers(ofCinch pid: Int32, runtime: String) -> [String] {
        guard let result = try? Command.run([runtime, "list", "-q"]) else { return ["\(runtime) list failed"] }
        return result.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("cinch-\(pid)-") }
    }

    /// The container ids `runc list` and `crun list` report, prefixed with the runtime.
    public static func leftoverContainers() -> [String] {
        var ids: [String] = []
        for runtime in ["runc", "crun"] {
            guard let result = try? Command.run([runtime, "list", "-q"]) else { continue }
            ids += result.stdout.split(separator: "\n").map { "\(runtime):\($0)" }
        }
        return ids
    }
}
