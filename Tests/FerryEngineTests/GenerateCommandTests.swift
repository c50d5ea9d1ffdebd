// SPDX-License-Identifier: Apache-2.0
import Foundation
import TestSupport
import Testing

/// The `ferry` executable, built beside the test bundle by `swift build --build-tests`.
enum FerryExecutable {
    static var url: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("ferry")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return SharedData.repositoryRoot.appendingPathComponent(".build/debug/ferry")
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    /// Runs ferry with `arguments`; returns exit status, stdout and stderr.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                String(decoding: stderr, as: UTF8.self))
    }
}

@Suite(.enabled(if: SharedData.isAvailable && FerryExecutable.isBuilt, "needs ../shared and the built ferry binary"))
struct GenerateCommandTests {
    @Test func generateStreamsExactlyTheGreedyContinuationOfTheReference() throws {
        let fixture = try #require(try SharedData.json("fixtures/model/stories260K.json") as? [String: Any])
        let first = try #require((fixture["cases"] as? [[String: Any]])?.first)
        let prompt = first["prompt"] as! String
        let full = first["greedy_text_full"] as! String
        let folder = try #require(SharedData.path("models/stories260K")).path
        let result = try FerryExecutable.run([
            "generate", folder, "--prompt", prompt, "--max-tokens", "48", "--temperature", "0", "--ignore-eos",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == String(full.dropFirst(prompt.count)) + "\n")
    }

    @Test func aMissingModelIsAClearErrorNotACrash() throws {
        let result = try FerryExecutable.run(["generate", "/nonexistent/model", "--prompt", "hi"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/model"))
    }
}
