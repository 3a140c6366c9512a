// SPDX-License-Identifier: Apache-2.0
// Reading YAML cinch wrote with an independent reader: PyYAML, through python3.

import Foundation

/// PyYAML, a YAML 1.1 reader (the strictest about plain words such as `yes` and `on`), run
/// through `python3`; scripts/setup.sh installs it (python3-yaml).
public enum PythonYAML {
    /// Whether python3 can import yaml.
    public static let isAvailable: Bool = (try? Command.run(["python3", "-c", "import yaml"]).status) == 0

    /// `yaml` read by `yaml.safe_load` and handed back through JSON, or nil when PyYAML rejects it.
    ///
    /// - Returns: the document as `JSONSerialization` objects (`[String: Any]`, `[Any]`, …).
    public static func load(_ yaml: String) throws -> Any? {
        let directory = try Command.temporaryDirectory("yaml")
        defer { Command.removeDirectory(directory) }
        try yaml.write(toFile: directory + "/in.yaml", atomically: true, encoding: .utf8)
        let script =
            "import yaml,sys,json; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))"
        let result = try Command.run(["python3", "-c", script, directory + "/in.yaml"])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
    }
}
