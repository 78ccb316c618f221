package import Foundation

/// A flow document the console saved: the whole text of a flow file (YAML, or JSON, which is
/// YAML too), numbered, with who saved it and when. The newest one is served instead of the
/// flow file.
package struct StoredFlows: Sendable, Equatable {
    package var number: Int
    package var text: String
    package var by: String
    package var at: Date

    package init(number: Int, text: String, by: String, at: Date) {
        self.number = number
        self.text = text
        self.by = by
        self.at = at
    }
}

/// Where the console's flow documents are kept (the state store, SQLite or PostgreSQL): every
/// save is a new numbered edit, the newest one served.
package protocol FlowEditStore: Sendable {
    /// Stores a flow document and returns it with its number.
    func saveFlows(text: String, by: String, at: Date) async throws -> StoredFlows
    /// The newest stored document; nil when the console never saved one.
    func latestFlows() async throws -> StoredFlows?
}

/// The flow document in service and where it came from.
package struct FlowDocument: Sendable, Equatable {
    package enum Source: String, Sendable { case file, edit, none }

    /// The document's text as read (the file's, or the stored edit's); empty for `none`.
    package var text: String
    package var source: Source
    /// The stored edit served, for `edit`.
    package var edit: StoredFlows?
    /// The file's path, for `file`.
    package var path: String?

    package init(text: String, source: Source, edit: StoredFlows? = nil, path: String? = nil) {
        self.text = text
        self.source = source
        self.edit = edit
        self.path = path
    }

    package static let none = FlowDocument(text: "", source: .none)
}
