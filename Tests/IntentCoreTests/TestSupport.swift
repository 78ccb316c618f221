import Foundation

@testable import IntentCore

/// A scratch directory with the given files, removed when the test ends.
final class ScratchDirectory {
    let path: String

    init(_ files: [String: String] = [:]) throws {
        path = NSTemporaryDirectory() + "intent-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, content) in files { try write(name, content) }
    }

    func write(_ name: String, _ content: String) throws {
        try content.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Loads a corpus expected to be invalid and returns its issues as printed lines.
func rejection(_ directory: ScratchDirectory, at path: String? = nil) -> [String] {
    do {
        _ = try CorpusLoader.load(path ?? directory.path)
        return []
    } catch {
        return error.issues.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") }
    }
}

/// The package root, found from this file's path, for tests of the shipped corpus.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
