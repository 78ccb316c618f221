import Hummingbird

/// The per-request context: Hummingbird's core storage, the request id that logs, responses
/// and errors carry, and the role of the token that signed the request.
public struct IntentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID = ""
    /// The role of the request's token, set by `RequireRole` on the routes it guards.
    package var role: Role?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
