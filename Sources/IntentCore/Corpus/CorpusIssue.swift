/// One problem found while reading a corpus or its rules, printed as
/// `file:line: field: what is wrong`.
public struct CorpusIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation
    /// The field at fault (`questions`, `answer`, `patterns`...), or nil for the whole record or file.
    public var field: String?
    public var message: String

    public init(_ severity: Severity, _ location: SourceLocation, field: String? = nil, _ message: String) {
        self.severity = severity
        self.location = location
        self.field = field
        self.message = message
    }

    public var description: String {
        let prefix = severity == .warning ? "warning: " : ""
        if let field { return "\(location): \(prefix)\(field): \(message)" }
        return "\(location): \(prefix)\(message)"
    }
}

/// A corpus that failed validation. Nothing of it is used: the caller keeps
/// whatever corpus it had before.
public struct CorpusValidationError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, errors and warnings, in file and line order.
    public var issues: [CorpusIssue]

    public init(issues: [CorpusIssue]) {
        self.issues = issues
    }

    public var errors: [CorpusIssue] { issues.filter { $0.severity == .error } }

    public var description: String {
        let count = errors.count
        let lines = issues.map(\.description).joined(separator: "\n")
        return "\(lines)\ncorpus rejected: \(count) error\(count == 1 ? "" : "s"); fix them and load again"
    }
}
