package import Hummingbird

/// The per-request context: Hummingbird's core storage, the request id that logs, responses
/// and errors carry, and the role of the token that signed the request.
package struct IntentRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var requestID = ""
    /// The role of the request's token, set by `RequireRole` on the routes it guards.
    package var role: Role?

    package init(source: Source) {
        coreContext = .init(source: source)
    }
}
