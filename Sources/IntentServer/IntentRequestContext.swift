import Hummingbird

/// The per-request context: Hummingbird's core storage plus the request id
/// that logs, responses and errors carry.
public struct IntentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID = ""

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
