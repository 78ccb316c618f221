/// What a bearer token lets its holder do, each role including the ones before it: the stats
/// token reads `/v1/stats`; the console token also works the console (review, edits,
/// conversations); the admin token also reloads the corpus.
package enum Role: Int, Comparable, Sendable, CaseIterable {
    case stats, console, admin

    package static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Who signed a write, when the request names nobody (`by` of a corpus edit).
    package var signature: String {
        switch self {
        case .stats: return "stats token"
        case .console: return "console token"
        case .admin: return "admin token"
        }
    }

    /// The tokens that hold this role or more, for a 401's message.
    var holders: String {
        switch self {
        case .stats: return "the stats, console or admin token"
        case .console: return "the console or admin token"
        case .admin: return "the admin token"
        }
    }
}
