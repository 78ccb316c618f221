public import Foundation

/// Starts the fake provider server (Fixtures/fake_providers.py: OpenAI-, DeepSeek- and
/// Coze-style routes with scripted failures) as a child process on 127.0.0.1. Shared by the
/// provider tests (in process) and the command tests (against the built binary). The channels'
/// fake APIs start through `FakeHTTPServer`.
public enum FakeProviderProcess {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The script's path, for tests and benchmarks that start it themselves.
    public static var script: URL {
        Bundle.module.url(forResource: "fake_providers", withExtension: "py", subdirectory: "Fixtures")!
    }

    /// Starts the server and waits (blocking) for its "listening PORT" line.
    public static func launch(key: String, dim: Int = 64, maxBatch: Int = 2048) throws -> (process: Process, port: Int) {
        try launch(script: script, arguments: ["--key", key, "--dim", "\(dim)", "--max-batch", "\(maxBatch)"])
    }

    /// The headless-browser driver (Fixtures/browser.py: Chrome DevTools Protocol, standard library only).
    public static var browserScript: URL {
        Bundle.module.url(forResource: "browser", withExtension: "py", subdirectory: "Fixtures")!
    }

    /// A static web server (Fixtures/static_site.py): a shop's pages on an origin of their own.
    public static func launchStaticSite(directory: String) throws -> (process: Process, port: Int) {
        try launch(
            script: Bundle.module.url(forResource: "static_site", withExtension: "py", subdirectory: "Fixtures")!,
            arguments: ["--directory", directory])
    }

    /// Starts Python on `script` and waits (blocking) for its "listening PORT" line.
    static func launch(script: URL, arguments: [String]) throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--port", "0"] + arguments
        let out = Pipe()
        process.standardOutput = out
        // Not the test process's stderr: a pipe held by the child would keep `swift test` waiting.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            line += String(decoding: byte, as: UTF8.self)
        }
        guard let port = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            process.terminate()
            throw StartError(description: "\(script.lastPathComponent) did not start: \(line)")
        }
        return (process, port)
    }
}
