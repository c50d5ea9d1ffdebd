// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

/// C kernels are always compiled optimized, debug builds included, so tests on real weights run at a usable speed.
let optimizedC: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=fast", "-Wall"])]

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: - C layer
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl",
                       providers: [.apt(["libcurl4-openssl-dev", "libssl-dev"])]),
        .systemLibrary(name: "CNghttp2", path: "Sources/CNghttp2",
                       providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "CKernelsCPU", dependencies: ["CBLAS"], path: "Sources/CKernelsCPU", cSettings: optimizedC,
                linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]),
        // The C ABI of libferry_cuda.so / libferry_hip.so (built from kernels/ by scripts/build-gpu-kernels.sh) and
        // the dlopen loader; the GPU libraries themselves are not SwiftPM targets.
        .target(name: "CKernelsGPU", path: "Sources/CKernelsGPU", cSettings: optimizedC,
                linkerSettings: [.linkedLibrary("dl")]),

        // MARK: - Swift modules, bottom up
        .target(name: "FerryKernels", dependencies: ["CBLAS", "CKernelsCPU", "CKernelsGPU"], swiftSettings: swiftSettings),
        // Small helpers the FoundationEssentials-only modules share (file error text, trimming, fixed decimals, sleep).
        .target(name: "FerryBasics", swiftSettings: swiftSettings),
        .target(name: "FerryTokenizer", dependencies: ["FerryBasics"], swiftSettings: swiftSettings),
        .target(name: "FerryModel", dependencies: ["FerryKernels", "FerryBasics"], swiftSettings: swiftSettings),
        .target(name: "FerryScheduling", swiftSettings: swiftSettings),
        .target(name: "FerryEngine", dependencies: ["FerryModel", "FerryScheduling", "FerryTokenizer", "FerryBasics"],
                swiftSettings: swiftSettings),
        .target(name: "FerryHTTP", dependencies: ["COpenSSL", "CNghttp2"], swiftSettings: swiftSettings),
        .target(name: "FerryHub", dependencies: ["CCurl", "FerryBasics"], swiftSettings: swiftSettings),
        .target(name: "FerryOpenAI", dependencies: ["FerryHTTP", "FerryEngine", "FerryTokenizer", "FerryScheduling"],
                swiftSettings: swiftSettings),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "FerryOpenAI", "FerryHTTP", "FerryEngine", "FerryModel", "FerryTokenizer", "FerryKernels",
                "FerryScheduling", "FerryHub", "FerryBasics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: [], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "FerryKernelsTests", dependencies: ["FerryKernels", "CKernelsCPU", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "FerryTokenizerTests", dependencies: ["FerryTokenizer", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "FerryEngineTests", dependencies: ["FerryEngine", "FerryScheduling", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "FerrySchedulingTests", dependencies: ["FerryScheduling"], swiftSettings: swiftSettings),
        .testTarget(name: "FerryOpenAITests", dependencies: ["FerryOpenAI", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "FerryHTTPTests", dependencies: ["FerryHTTP", "COpenSSL"], swiftSettings: swiftSettings),
        .testTarget(name: "FerryHubTests",
                    dependencies: ["FerryHub", "FerryHTTP", "FerryEngine", "FerryModel", "FerryScheduling",
                                   "FerryKernels", "FerryTokenizer", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "FerryModelTests", dependencies: ["FerryModel", "FerryTokenizer", "TestSupport"],
                    swiftSettings: swiftSettings),
    ]
)
