package import Hummingbird
package import NIOCore

/// The per-request context: Hummingbird's core storage, the request id that logs, responses
/// and errors carry, and who signed the request (set by `RequireRole` on the routes it guards).
package struct IntentRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var requestID = ""
    /// The role of the request's token; nil on a route no token is configured for.
    package var role: Role?
    /// The agent whose token signed the request; nil for a configured token.
    package var agent: String?
    /// That agent's display name, when they have one (`/v1/me`: the console shows it).
    package var agentDisplayName: String?
    /// The configured token that signed the request, by name ("console token"); nil for an agent's.
    package var tokenName: String?
    /// The request's connection: a stream that must end (`GET /v1/events`) closes it when its
    /// client stopped reading.
    package let connection: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }

    /// Who did what the request does: the agent's name, else the configured token's name.
    package var signature: String { agent ?? tokenName ?? role?.signature ?? "unsigned" }

    /// Who signs a write whose body may name someone (`by`): an agent always signs with their
    /// own name, whatever the body says; a configured token is shared, so the body's name says
    /// who used it (checked where the write is validated), and without one the token's name does.
    package func signature(naming given: String?) -> String { agent ?? given ?? signature }
}
