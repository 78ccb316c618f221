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

    public init() {}
}
