// SPDX-License-Identifier: Apache-2.0
// The module graph of docs/architecture.md, checked against the imports in Sources/.

import CinchTestSupport
import Foundation
import Testing

/// Each module may import only the modules below it (docs/architecture.md): no upward or
/// sideways import, the model imports no libc, the diff and the generators no C and no
/// generator, and only `CinchLinux` and `CinchSeccomp` import the project's C modules.
@Suite struct ModuleGraphTests {
    /// The project's modules and what each may import of them (and of the C modules).
    static let allowed: [String: Set<String>] = [
        "CinchModel": [],
        "CinchLinux": ["CinchModel", "CCinchLinux"],
        "CinchSeccomp": ["CinchModel", "CinchLinux", "CSeccomp"],
        "CinchGenerate": ["CinchModel"],
        "CinchDiff": ["CinchModel"],
        "CinchValidate": ["CinchModel", "CinchLinux", "CinchSeccomp"],
        "CinchContainer": ["CinchModel", "CinchLinux"],
        "CinchAudit": ["CinchModel", "CinchLinux", "CinchSeccomp"],
        "CinchRecord": ["CinchModel", "CinchLinux", "CinchSeccomp", "CinchContainer"],
        "CinchWorkflow": [
            "CinchModel", "CinchLinux", "CinchSeccomp", "CinchGenerate", "CinchDiff", "CinchValidate", "CinchContainer",
            "CinchAudit", "CinchRecord",
        ],
    ]

    /// Modules that are neither the project's nor Swift's own: libc and the C shims.
    static let libc: Set<String> = ["Glibc", "Musl"]

    /// The modules each Swift file of `module` imports.
    func imports(of module: String) throws -> Set<String> {
        let directory = TestEnvironment.repositoryRoot() + "/Sources/" + module
        let files = try #require(FileManager.default.enumerator(atPath: directory)).compactMap { $0 as? String }
        var modules = Set<String>()
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").filter {
                    !["public", "internal", "package", "@testable"].contains($0)
                }
                if words.count == 2, words[0] == "import" { modules.insert(String(words[1])) }
            }
        }
        return modules
    }

    @Test(arguments: allowed.keys.sorted())
    func importsOnlyModulesBelowIt(module: String) throws {
        let project = Set(Self.allowed.keys).union(["CCinchLinux", "CSeccomp", "cinch"])
        let imported = try imports(of: module).intersection(project)
        let forbidden = imported.subtracting(Self.allowed[module] ?? [])
        #expect(forbidden.isEmpty, "\(module) imports \(forbidden.sorted())")
    }

    @Test func theModelImportsNoLibc() throws {
        #expect(try imports(of: "CinchModel").intersection(Self.libc).isEmpty)
    }

    @Test func theDiffAndTheGeneratorsImportNoLibcAndNoC() throws {
        for module in ["CinchDiff", "CinchGenerate"] {
            let imported = try imports(of: module)
            #expect(imported.isSubset(of: ["CinchModel"]), "\(module) imports \(imported.sorted())")
        }
    }

    @Test func everyModuleIsListed() throws {
        let directories = try FileManager.default.contentsOfDirectory(
            atPath: TestEnvironment.repositoryRoot() + "/Sources")
        let swiftModules = Set(directories.filter { $0.hasPrefix("Cinch") })
        #expect(swiftModules == Set(Self.allowed.keys))
    }
}
