/// Request limits of the HTTP API, documented in the README and enforced by the routes.
public struct ServerLimits: Sendable {
    /// Largest accepted request body; above it: 413.
    public var maxBodyBytes = 64 * 1024
    /// Longest accepted message, in characters; above it: 400 `message_too_long`.
    public var maxMessageCharacters = 2_000
    /// Most messages in one `/match/batch` request.
    public var maxBatchMessages = 100
    /// Accepted range of `top_k`.
    public var topKRange = 1...20
    /// Longest a request body may take to arrive once its head has, however steadily it
    /// trickles; after it: 408 and the connection closes.
    public var bodyTimeout: Duration = .seconds(10)
    /// Longest a connection may go without reading anything, between requests (idle
    /// keep-alive, headers sent slowly) or within one (a stalled body), before the server
    /// closes it; `bodyTimeout` bounds a body that trickles in.
    public var idleTimeout: Duration = .seconds(30)

    public init() {}
}

extension Duration {
    /// Whole nanoseconds (NIO's `TimeAmount` unit).
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
