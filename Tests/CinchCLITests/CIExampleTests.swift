// SPDX-License-Identifier: Apache-2.0
// The GitHub Actions job of docs/ci.md, run as written in a scratch repository, as a runner runs it.

import CinchTestSupport
import Foundation
import Testing

/// One `run:` step of the documented workflow.
struct WorkflowStep {
    var name: String
    var script: String
    var runsAfterFailure: Bool
}

/// The documented job: its steps with a `run:` and whether the job names `shell: bash`.
struct DocumentedWorkflow {
    var steps: [WorkflowStep]
    var usesBashWithPipefail: Bool

    /// Reads the first ```yaml block after "## GitHub Actions" in `markdown`.
    ///
    /// Only what the example uses is understood: `- name:`, `if:`, `run: |` block scalars and
    /// one-line `run:`, and `defaults.run.shell`. Steps with `uses:` only are the runner's own.
    init(markdown: String) throws {
        guard let section = markdown.range(of: "## GitHub Actions"),
            let start = markdown.range(of: "```yaml\n", range: section.upperBound..<markdown.endIndex),
            let end = markdown.range(of: "\n```", range: start.upperBound..<markdown.endIndex)
        else { throw CIExampleError(message: "docs/ci.md has no yaml block under ## GitHub Actions") }
        let lines = markdown[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }
        steps = []
        usesBashWithPipefail = false
        var current: WorkflowStep?
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let content = line.drop { $0 == " " }
            index += 1
            if content.hasPrefix("shell: bash") { usesBashWithPipefail = true }
            if content.hasPrefix("- ") {
                if let step = current, !step.script.isEmpty { steps.append(step) }
                current = WorkflowStep(name: "", script: "", runsAfterFailure: false)
            }
            let field = content.hasPrefix("- ") ? content.dropFirst(2) : content
            if field.hasPrefix("name: ") { current?.name = String(field.dropFirst(6)) }
            if field.hasPrefix("if: ") { current?.runsAfterFailure = field.contains("always()") }
            guard field.hasPrefix("run:") else { continue }
            let value = field.dropFirst(4).drop { $0 == " " }
            if value != "|" {
                current?.script = String(value) + "\n"
                continue
            }
            let keyIndentation = indentation(line)
            var block: [Substring] = []
            while index < lines.count, lines[index].isEmpty || indentation(lines[index]) > keyIndentation {
                block.append(lines[index])
                index += 1
            }
            let margin = block.filter { !$0.isEmpty }.map(indentation).min() ?? 0
            current?.script = block.map { $0.dropFirst(min(margin, $0.count)) + "\n" }.joined()
        }
        if let step = current, !step.script.isEmpty { steps.append(step) }
    }
}

struct CIExampleError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            TestEnvironment.hasProduct("cinch") && TestEnvironment.hasTool("git") && TestEnvironment.hasTool("curl")),
        "needs the built cinch, git and curl"),
    .timeLimit(.minutes(3))
)
struct CIExampleTests {
    let cinch = TestEnvironment.product("cinch")

    /// The job's outcome: the steps' statuses in order (nil: skipped) and the files it left.
    struct JobResult {
        var statuses: [String: Int32?]
        var log: String
        var failed: Bool { statuses.values.contains { $0 != nil && $0 != 0 } }
    }

    /// Runs the documented job in `repository` as a GitHub runner would: each `run:` step is a
    /// script file run by `bash --noprofile --norc -eo pipefail` (with `shell: bash`) or
    /// `bash -e` (GitHub's default), with `${{ … }}` substituted, `$GITHUB_PATH` lines put on
    /// PATH for later steps, and steps after a failure skipped unless `if: always()`.
    func runDocumentedJob(in repository: String) throws -> JobResult {
        let markdown = try String(contentsOfFile: TestEnvironment.repositoryRoot() + "/docs/ci.md", encoding: .utf8)
        let workflow = try DocumentedWorkflow(markdown: markdown)
        #expect(workflow.steps.map(\.name).contains("Install cinch"))
        let runner = try Command.temporaryDirectory("runner")
        defer { Command.removeDirectory(runner) }
        let githubPath = runner + "/github_path"
        FileManager.default.createFile(atPath: githubPath, contents: nil)
        let expressions = ["github.base_ref": "main", "vars.CINCH_URL": "file://" + cinch]
        // The runner's PATH has no cinch: only the install step can put it there.
        let basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        var result = JobResult(statuses: [:], log: "")
        var failed = false
        for (number, step) in workflow.steps.enumerated() {
            if failed && !step.runsAfterFailure {
                result.statuses[step.name] = .some(nil)
                continue
            }
            var script = step.script
            while let open = script.range(of: "${{"),
                let close = script.range(of: "}}", range: open.upperBound..<script.endIndex)
            {
                let expression = script[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                guard let value = expressions[expression] else {
                    throw CIExampleError(message: "the example uses ${{ \(expression) }}, which the test does not know")
                }
                script.replaceSubrange(open.lowerBound..<close.upperBound, with: value)
            }
            let file = "\(runner)/step-\(number).sh"
            try script.write(toFile: file, atomically: true, encoding: .utf8)
            let added = try String(contentsOfFile: githubPath, encoding: .utf8).split(separator: "\n").reversed()
            let shell =
                workflow.usesBashWithPipefail ? ["bash", "--noprofile", "--norc", "-eo", "pipefail"] : ["bash", "-e"]
            let searchPath: String = (added.map(String.init) + [basePath]).joined(separator: ":")
            var arguments: [String] = ["/usr/bin/env", "-i", "PATH=" + searchPath, "HOME=" + runner]
            arguments += ["GITHUB_PATH=" + githubPath, "RUNNER_TEMP=" + runner]
            arguments += shell + [file]
            let run = try Command.run(arguments, directory: repository)
            result.statuses[step.name] = .some(run.status)
            result.log += "== \(step.name): \(run.status)\n\(run.stdout)\(run.stderr)"
            if run.status != 0 { failed = true }
        }
        return result
    }

    func git(_ arguments: [String], in directory: String) throws {
        let result = try Command.run(
            ["git", "-c", "user.name=cinch", "-c", "user.email=cinch@example.invalid"] + arguments, directory: directory
        )
        #expect(result.status == 0, "git \(arguments): \(result.stderr)")
    }

    /// A repository whose `main` has a trace, a Docker seccomp profile and a Kubernetes capability
    /// list, and whose `origin/main` is that commit; work continues on a branch.
    func makeRepository() throws -> String {
        let root = try Command.temporaryDirectory("ci-example")
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/manifest-web.trace.json"), toPath: "\(root)/Traces/web.trace.json")
        try """
        {
          "cinchProfiles": 1,
          "profiles": [
            {"format": "kubernetes", "kind": "capabilities", "path": "Profiles/web.caps.yaml", "traces": ["Traces/web.trace.json"]},
            {"path": "Profiles/web.seccomp.json", "traces": ["Traces/web.trace.json"]}
          ]
        }

        """.write(toFile: "\(root)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)
        #expect(try Command.run([cinch, "check", "--write"], directory: root).status == 0)
        try git(["init", "-q", "-b", "main"], in: root)
        try git(["add", "-A"], in: root)
        try git(["commit", "-q", "-m", "profiles"], in: root)
        try git(["update-ref", "refs/remotes/origin/main", "HEAD"], in: root)
        try git(["checkout", "-q", "-b", "change"], in: root)
        return root
    }

    /// Sets the capabilities the trace observed, regenerates the profiles and commits.
    func recordCapabilities(_ capabilities: [String], in root: String) throws {
        let path = "\(root)/Traces/web.trace.json"
        var trace =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        trace?["capabilities"] = capabilities
        try JSONSerialization.data(withJSONObject: trace ?? [:], options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
        #expect(try Command.run([cinch, "check", "--write"], directory: root).status == 0)
        try git(["commit", "-q", "-am", "trace"], in: root)
    }

    /// The documented job used to pass on drift: `cinch check | tee` without pipefail lost check's
    /// exit 1, the install step built cinch in the user's repository, and only `Profiles/*.json`
    /// were diffed.
    @Test func theDocumentedJobFailsOnDrift() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }
        let path = "\(root)/Profiles/web.seccomp.json"
        let profile = try String(contentsOfFile: path, encoding: .utf8)
        try profile.replacingOccurrences(
            of: "\"syscalls\": [",
            with: "\"syscalls\": [\n    {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\"ptrace\"]},"
        ).write(toFile: path, atomically: true, encoding: .utf8)
        try git(["commit", "-q", "-am", "widen by hand"], in: root)
        let job = try runDocumentedJob(in: root)
        #expect(job.failed, "\(job.log)")
        #expect(job.statuses["Install cinch"] == .some(0), "\(job.log)")
        #expect(job.statuses["Profiles match their traces"] == .some(1), "\(job.log)")
        let check = try String(contentsOfFile: "\(root)/check.md", encoding: .utf8)
        #expect(check.contains("allows what its traces do not justify: ptrace"), "\(check)")
    }

    @Test func theDocumentedJobPassesWithoutDrift() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }
        // A narrowing, regenerated: no drift, and a diff that widens nothing.
        try recordCapabilities(["CAP_NET_BIND_SERVICE"], in: root)
        let job = try runDocumentedJob(in: root)
        #expect(!job.failed, "\(job.log)")
        #expect(job.statuses.count >= 3, "\(job.log)")
        let diff = try String(contentsOfFile: "\(root)/diff.md", encoding: .utf8)
        #expect(diff.contains("CAP_SETUID"), "the Kubernetes list's diff is posted: \(diff)")
    }

    /// A regenerated capability list that grants more fails the job: the YAML file is diffed too.
    @Test func theDocumentedJobFailsWhenACapabilityListWidens() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }
        try recordCapabilities(["CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SYS_ADMIN"], in: root)
        let job = try runDocumentedJob(in: root)
        #expect(job.statuses["Profiles match their traces"] == .some(0), "\(job.log)")
        #expect(job.statuses["Diff changed profiles against the base branch"] == .some(1), "\(job.log)")
        let diff = try String(contentsOfFile: "\(root)/diff.md", encoding: .utf8)
        #expect(diff.contains("CAP_SYS_ADMIN"), "\(diff)")
    }
}
