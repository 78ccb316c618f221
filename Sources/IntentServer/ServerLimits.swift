/// Request limits of the HTTP API, documented in docs/configuration.md and docs/http-api.md and enforced by the routes.
package struct ServerLimits: Sendable {
    /// Largest accepted request body; above it: 413.
    package var maxBodyBytes = 64 * 1024
    /// Longest accepted message, in Unicode scalars (never fewer than its characters, so a
    /// character stacked with thousands of combining marks counts for what it weighs); above
    /// it: 400 `message_too_long` on `/match` and the console's edits; a longer channel message is
    /// decided on its first `maxMessageCharacters` scalars.
    package var maxMessageCharacters = 2_000
    /// Most messages in one `/match/batch` request.
    package var maxBatchMessages = 100
    /// Accepted range of `top_k`.
    package var topKRange = 1...20
    /// Longest a request body may take to arrive once its head has, however steadily it
    /// trickles; after it: 408 and the connection closes.
    package var bodyTimeout: Duration = .seconds(10)
    /// Longest a connection may go without reading anything, between requests (idle
    /// keep-alive, headers sent slowly) or within one (a stalled body), before the server
    /// closes it; `bodyTimeout` bounds a body that trickles in.
    package var idleTimeout: Duration = .seconds(30)

    package init() {}

    /// A message's length as the limit counts it.
    package func length(of message: String) -> Int {
        message.unicodeScalars.count
    }

    /// The message cut to the limit (whole scalars), for channels, whose messages cannot be refused.
    package func truncated(_ message: String) -> String {
        guard length(of: message) > maxMessageCharacters else { return message }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: message.unicodeScalars.prefix(maxMessageCharacters))
        return String(scalars)
    }
}

extension Duration {
    /// Whole nanoseconds (NIO's `TimeAmount` unit).
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
