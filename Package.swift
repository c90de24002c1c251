// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "poolctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "poolctl", targets: ["poolctl"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-algorithms", from: "1.2.1"),
    ],
    targets: [
        // Debian's libyaml (libyaml-dev), never a bundled copy.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // libyaml events -> a located node tree. Knows nothing about poolctl.
        .target(name: "PoolctlYAML", dependencies: ["CYAML"]),
        // Pure domain values shared by every layer: Diagnostic, DesiredState,
        // LiveState, identifier formats, the ownership tag; JSONOutput.
        .target(name: "PoolctlModel"),
        // Located nodes -> Manifest -> DesiredState, with Diagnostics.
        .target(name: "PoolctlManifest", dependencies: ["PoolctlYAML", "PoolctlModel"]),
        // The Plan value and the pure planner: plan(desired, live) -> Plan.
        .target(name: "PoolctlPlan", dependencies: ["PoolctlModel"]),
        // Workflow, the one entry point: refresh and plan, saved-plan check, apply, over CommsAPI.
        .target(name: "PoolctlEngine", dependencies: ["PoolctlAPI", "PoolctlModel", "PoolctlPlan"]),
        // Pure renderers: diagnostics, plans and reports as text, JSON and Markdown.
        .target(name: "PoolctlRender", dependencies: ["PoolctlModel", "PoolctlManifest", "PoolctlPlan", "PoolctlEngine"]),
        // The Comms API contract: wire models, the CommsAPI protocol, APIError,
        // pagination and call counting. No networking.
        .target(name: "PoolctlAPI", dependencies: ["PoolctlModel"]),
        // The live CommsAPI over AsyncHTTPClient: auth, retries, deadlines.
        .target(
            name: "PoolctlAPIHTTP",
            dependencies: [
                "PoolctlAPI", "PoolctlModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]),
        // The emulator: an in-memory CommsAPI store and its HTTP front (Hummingbird).
        .target(
            name: "PoolctlEmulator",
            dependencies: [
                "PoolctlAPI", "PoolctlYAML", "PoolctlModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Algorithms", package: "swift-algorithms"),
            ]),
        // Commands (swift-argument-parser) over an injected CommandContext. The only layer that prints.
        .target(
            name: "PoolctlCLI",
            dependencies: [
                "PoolctlManifest", "PoolctlYAML", "PoolctlPlan", "PoolctlEngine", "PoolctlRender", "PoolctlAPI", "PoolctlAPIHTTP",
                "PoolctlEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "poolctl", dependencies: ["PoolctlCLI"]),
        .testTarget(name: "PoolctlAPIHTTPTests", dependencies: ["PoolctlAPIHTTP", "PoolctlAPI", "PoolctlModel"]),
        .testTarget(
            name: "PoolctlEmulatorTests",
            dependencies: [
                "PoolctlModel",
                "PoolctlEmulator", "PoolctlAPI",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The contract suite: the live client against the emulator on a socket.
        .testTarget(
            name: "PoolctlContractTests",
            dependencies: [
                "PoolctlModel", "PoolctlAPIHTTP", "PoolctlEmulator", "PoolctlAPI",
                // Raw requests, to see bodies and statuses as they are on the wire.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        // Golden plans over fixtures, and plan -> apply -> plan, against the emulator.
        .testTarget(
            name: "PoolctlEndToEndTests",
            dependencies: [
                "PoolctlEmulator", "PoolctlEngine", "PoolctlPlan", "PoolctlRender", "PoolctlManifest", "PoolctlModel", "PoolctlAPI",
            ]),
        // The command layer in-process: injected streams and environment, the emulator on a loopback socket.
        .testTarget(
            name: "PoolctlCLITests",
            dependencies: ["PoolctlModel", "PoolctlCLI", "PoolctlEmulator", "PoolctlAPI", "PoolctlPlan", "PoolctlRender", "PoolctlAPIHTTP"]),
        .testTarget(name: "PoolctlEngineTests", dependencies: ["PoolctlEngine", "PoolctlAPI", "PoolctlPlan", "PoolctlModel"]),
        .testTarget(name: "PoolctlPlanTests", dependencies: ["PoolctlPlan", "PoolctlModel", "PoolctlRender"]),
        .testTarget(
            name: "PoolctlManifestTests", dependencies: ["PoolctlManifest", "PoolctlYAML", "PoolctlModel", "PoolctlPlan", "PoolctlRender"]),
    ]
)
