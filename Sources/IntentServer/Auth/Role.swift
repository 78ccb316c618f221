package import IntentChannels

/// What a bearer token lets its holder do, each role including the ones before it: the stats
/// token reads `/v1/stats`; a viewer also reads the console (conversations, review queue,
/// corpus, flows); an agent also answers customers and teaches the bot (the review queue's
/// actions, a flow started for a customer); an admin also manages the flows, the corpus's
/// answers and the agents. The console and admin tokens are admins; an agent's token carries
/// the role stored with it.
package enum Role: Int, Comparable, Sendable, CaseIterable {
    case stats, viewer, agent, admin

    package init(_ role: Agent.Role) {
        switch role {
        case .viewer: self = .viewer
        case .agent: self = .agent
        case .admin: self = .admin
        }
    }

    package static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The role's name in responses (`GET /v1/me`) and messages.
    package var name: String {
        switch self {
        case .stats: return "stats"
        case .viewer: return "viewer"
        case .agent: return "agent"
        case .admin: return "admin"
        }
    }

    /// A signature by role alone, for code that does not read `IntentRequestContext.signature`
    /// yet (which names the agent, or the configured token that signed).
    package var signature: String {
        switch self {
        case .stats: return "stats token"
        case .viewer, .agent: return name
        case .admin: return "admin token"
        }
    }

    /// The tokens that hold this role or more, for a 401's message.
    var holders: String {
        switch self {
        case .stats: return "the stats, console or admin token, or an agent's token"
        case .viewer: return "the console or admin token, or an agent's token"
        case .agent: return "the console or admin token, or the token of an agent with the role agent or admin"
        case .admin: return "the console or admin token, or the token of an agent with the role admin"
        }
    }
}
