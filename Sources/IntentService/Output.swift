import Foundation

/// Standard error, unbuffered, for diagnostics that must not mix with JSON on stdout.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

enum JSONOutput {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
