package import Hummingbird
package import NIOCore

/// The per-request context: Hummingbird's core storage, the request id that logs, responses
/// and errors carry, and the role of the token that signed the request.
package struct IntentRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var requestID = ""
    /// The role of the request's token, set by `RequireRole` on the routes it guards.
    package var role: Role?
    /// The request's connection: a stream that must end (`GET /v1/events`) closes it when its
    /// client stopped reading.
    package let connection: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }
}
