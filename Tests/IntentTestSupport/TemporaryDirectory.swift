import Foundation

/// A folder of the test's own in the temporary directory, removed with the value: a test run
/// leaves nothing behind.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ prefix: String) throws {
        path = NSTemporaryDirectory() + "intent-\(prefix)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A new path inside the folder (nothing is created there).
    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
