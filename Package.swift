// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "cinch",
    products: [
        .executable(name: "cinch", targets: ["cinch"]),
        .executable(name: "cinch-probe", targets: ["cinch-probe"]),
        .executable(name: "cinch-landlock", targets: ["cinch-landlock"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // MARK: - C
        .target(name: "CCinchLinux", cSettings: [.define("_GNU_SOURCE")]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // The probe is a C program on purpose: tests need exact control over which syscalls run.
        .executableTarget(name: "cinch-probe", cSettings: [.define("_GNU_SOURCE")]),

        // MARK: - Libraries
        .target(name: "CinchModel", swiftSettings: swiftSettings),
        .target(
            name: "CinchLinux",
            dependencies: ["CCinchLinux", "CinchModel", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CinchSeccomp",
            dependencies: [
                "CSeccomp", "CinchModel", "CinchLinux", .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Recording sources, one module each, and running containers apart from recording them.
        .target(
            name: "CinchContainer",
            dependencies: ["CinchModel", "CinchLinux"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CinchRecord",
            dependencies: [
                "CinchModel", "CinchLinux", "CinchSeccomp", "CinchContainer",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CinchAudit",
            dependencies: ["CinchModel", "CinchLinux", "CinchSeccomp"],
            swiftSettings: swiftSettings
        ),
        .target(name: "CinchGenerate", dependencies: ["CinchModel"], swiftSettings: swiftSettings),
        .target(
            name: "CinchValidate",
            dependencies: ["CinchModel", "CinchSeccomp", "CinchLinux"],
            swiftSettings: swiftSettings
        ),
        // Pure Swift like the generators: diffs must be testable without C.
        .target(name: "CinchDiff", dependencies: ["CinchModel"], swiftSettings: swiftSettings),

        // The jobs users run: build an artifact, verify it, record N runs, check the manifest.
        .target(
            name: "CinchWorkflow",
            dependencies: [
                "CinchModel", "CinchLinux", "CinchSeccomp", "CinchContainer", "CinchRecord", "CinchAudit",
                "CinchGenerate", "CinchValidate", "CinchDiff",
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Executable
        .executableTarget(
            name: "cinch",
            dependencies: [
                "CinchModel", "CinchLinux", "CinchSeccomp", "CinchContainer", "CinchRecord", "CinchAudit",
                "CinchGenerate", "CinchValidate", "CinchDiff", "CinchWorkflow",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),

        // The Landlock helper runs as a container's entrypoint, in a root filesystem that may have no
        // C library, so it is linked statically (glibc's libc.a and the static Swift runtime).
        .executableTarget(
            name: "cinch-landlock",
            dependencies: ["CinchLinux", "CinchModel"],
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),

        // MARK: - Tests
        .target(
            name: "CinchTestSupport",
            dependencies: ["CinchLinux", "CinchModel", "CinchSeccomp"],
            path: "Tests/CinchTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchModelTests",
            dependencies: ["CinchLinux", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchLinuxTests",
            dependencies: [
                "CinchLinux", "CinchModel", "CinchTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchSeccompTests",
            dependencies: ["CinchLinux", "CinchSeccomp", "CSeccomp", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchRecordTests",
            dependencies: ["CinchRecord", "CinchLinux", "CinchSeccomp", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchAuditTests",
            dependencies: ["CinchLinux", "CinchAudit", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchGenerateTests",
            dependencies: ["CinchLinux", "CinchGenerate", "CinchDiff", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchValidateTests",
            dependencies: ["CinchValidate", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchDiffTests",
            dependencies: ["CinchLinux", "CinchDiff", "CinchGenerate", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchWorkflowTests",
            dependencies: [
                "CinchContainer", "CinchLinux", "CinchWorkflow", "CinchDiff", "CinchGenerate", "CinchModel",
                "CinchSeccomp", "CinchTestSupport", "CinchValidate",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchCLITests",
            dependencies: ["CinchLinux", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),

        // MARK: - Fuzzing
        // The parsers' properties, shared by the mutation tests and the libFuzzer harness.
        .target(
            name: "CinchFuzzSupport",
            dependencies: ["CinchAudit", "CinchModel", "CinchWorkflow"],
            path: "Tests/CinchFuzzSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinchFuzzTests",
            dependencies: ["CinchFuzzSupport", "CinchLinux", "CinchModel", "CinchTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// The libFuzzer harness links only with -sanitize=fuzzer (libFuzzer supplies `main`), so it is
// part of the package only when `make fuzz` builds it (scripts/fuzz.sh sets CINCH_LIBFUZZER=1).
if Context.environment["CINCH_LIBFUZZER"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "cinch-fuzz",
            dependencies: ["CinchFuzzSupport"],
            path: "Tests/cinch-fuzz",
            swiftSettings: swiftSettings
        )
    )
}
