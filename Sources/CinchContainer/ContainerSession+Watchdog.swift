// SPDX-License-Identifier: Apache-2.0
// A helper process that deletes the container and the temporary bundle if cinch dies first.

internal import CinchLinux

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

extension ContainerSession {
    /// Cleans up a run's container and temporary bundle if cinch ends without doing it (SIGKILL,
    /// a crash), when no code of cinch's can run any more.
    ///
    /// The watchdog is `/bin/sh` reading a pipe whose only writer is cinch. At the end of a run
    /// cinch writes `done` and the watchdog exits. If cinch dies first, the kernel closes the pipe,
    /// the watchdog reads end-of-file and runs `RUNTIME delete --force ID` (which kills what is
    /// left of the container) and removes the temporary bundle; it deletes once more a moment
    /// later, for a `RUNTIME create` that was still running when cinch died. It runs in a process
    /// group of its own, so the Ctrl-C of a terminal, or a `kill -9` of cinch's process group,
    /// does not end it with cinch, and it holds none of cinch's output (a caller reading cinch's
    /// output to its end is not kept waiting).
    struct CleanupWatchdog {
        let pid: CInt
        let writeEnd: CInt

        /// The watchdog's script: `$1` is the runtime, `$2` the container id, `$3` the bundle.
        static let script = """
            exec >/dev/null 2>&1
            IFS= read -r line
            [ "$line" = done ] && exit 0
            "$1" delete --force "$2"
            rm -f "$3/config.json" "$3/owner"; rmdir "$3"
            sleep 2
            "$1" delete --force "$2"
            exit 0
            """

        /// Starts a watchdog for container `id` and the temporary bundle `directory`; nil when it
        /// cannot be started (the run goes on without it).
        static func start(runtime: ContainerRuntime, id: String, directory: String) -> CleanupWatchdog? {
            start(script: script, arguments: [runtime.rawValue, id, directory])
        }

        /// Starts a watchdog that runs `script` (with `arguments` as `$1`…) unless cinch says `done`
        /// first; the script must read that line itself (see ``script``).
        static func start(script: String, arguments: [String]) -> CleanupWatchdog? {
            guard let pipe = try? ProcessRunner.makePipe() else { return nil }
            defer { close(pipe.read) }
            guard
                let started = try? ProcessRunner.start(
                    ["/bin/sh", "-c", script, "cinch-cleanup"] + arguments, captureOutput: false,
                    newProcessGroup: true, standardInput: pipe.read)
            else {
                close(pipe.write)
                return nil
            }
            return CleanupWatchdog(pid: started.pid, writeEnd: pipe.write)
        }

        /// Tells the watchdog the run was cleaned up, and waits for it to exit.
        func dismiss() {
            let done = Array("done\n".utf8)
            _ = done.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            close(writeEnd)
            _ = try? Spawn.wait(for: pid)
        }
    }
}
