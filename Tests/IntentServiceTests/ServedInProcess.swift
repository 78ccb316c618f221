import ArgumentParser
import Foundation
import Hummingbird
import IntentCore
import IntentTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import IntentService

/// Everything a server logged so far.
final class LogBuffer: Sendable {
    let text = Locked("")
    func append(_ line: String) { text.withLock { $0 += line } }
    var current: String { text.current }
}

/// `intent-service serve ARGUMENTS` as the binary builds it (`buildApplication`), run in this
/// process on a free port of 127.0.0.1 with its log kept in memory: the routes, channels and
/// services exactly as served, with no process to spawn and no output to parse for the port.
/// The binary is spawned only where the process is the subject (signals, exit status, kill -9).
enum ServedInProcess {
    /// Runs `test` against the running application, then shuts it down gracefully (its services'
    /// last work included) before returning. `environment` is laid over this process's.
    static func run<T: Sendable>(
        _ arguments: [String], environment: [String: String] = [:], log: LogBuffer = LogBuffer(),
        _ test: @Sendable (_ port: Int, _ log: LogBuffer) async throws -> T
    ) async throws -> T {
        let command = try ServeCommand.parse(["--port", "0"] + arguments)
        let configuration = try command.resolvedConfiguration(environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        var logger = Logger(label: "intent-service") { label in BufferLogHandler(label: label, buffer: log) }
        logger.logLevel = configuration.logLevel
        let app = try await buildApplication(configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await ServerLogs.$tail.withValue({ log.current }) {
            try await serve(group, log: log, test)
        }
    }

    private static func serve<T: Sendable>(
        _ group: ServiceGroup, log: LogBuffer, _ test: @Sendable (_ port: Int, _ log: LogBuffer) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let value = try await test(try await port(in: log), log)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// The port of the "listening" log line `buildApplication` writes once the listener is open.
    private static func port(in log: LogBuffer) async throws -> Int {
        var port: Int?
        try await eventually("the listener opens") {
            port = listeningPort(in: log.current)
            return port != nil
        }
        return try #require(port, "no listening line in:\n\(log.current)")
    }

    /// The port of the `address=HOST:PORT ... listening` line in a log, the binary's or this process's.
    static func listeningPort(in log: String) -> Int? {
        log.split(separator: "\n").first { $0.contains(" listening") && $0.contains("address=") }
            .flatMap { $0.split(separator: " ").first { $0.hasPrefix("address=") } }
            .flatMap { Int($0.split(separator: ":").last ?? "") }
    }
}

/// One line per message, as the binary prints them: `level label: key=value message`.
struct BufferLogHandler: LogHandler {
    let label: String
    let buffer: LogBuffer
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        buffer.append("\(event.level) \(label): \((fields + ["\(event.message)"]).joined(separator: " "))\n")
    }
}

extension LogBuffer {
    /// Waits until the log says `text`.
    func waitFor(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        try await eventually("the log says \"\(text)\"", sourceLocation: sourceLocation) { current.contains(text) }
    }
}
