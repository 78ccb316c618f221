/// One HTTP request to a provider.
package struct HTTPRequestSpec: Sendable {
    package var method: String
    package var url: String
    /// Header lines as name and value. Secrets (Authorization) travel only here: never logged.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]?
    /// The whole transfer, connection included, must finish within this.
    package var timeout: Duration
    /// Reads the answer as it arrives and may end it early (a stream whose useful part is over).
    package var watcher: (any ResponseWatcher)?

    package init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, timeout: Duration,
        watcher: (any ResponseWatcher)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.watcher = watcher
    }
}

/// Sees each piece of an answer's body as it arrives, on the transfer's thread. Returning true
/// ends the transfer there: the response so far is the answer (status, headers, body read).
package protocol ResponseWatcher: AnyObject, Sendable {
    func received(_ chunk: UnsafeRawBufferPointer) -> Bool
}

package struct HTTPResponseData: Sendable {
    package var status: Int
    /// Header names in lower case; a repeated header keeps its last value.
    package var headers: [String: String]
    package var body: [UInt8]

    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends HTTP requests. `CurlHTTPClient` is the real one; tests may substitute their own.
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData
}

/// Why a request got no HTTP response.
package enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case timedOut(after: Duration)
    case connectionFailed(String)
    case connectionDropped(String)
    case responseTooLarge(limit: Int)
    case cancelled
    case other(String)

    package var description: String {
        switch self {
        case .timedOut(let after): return "no complete answer within \(after)"
        case .connectionFailed(let detail): return "could not connect (\(detail))"
        case .connectionDropped(let detail): return "the connection dropped mid-answer (\(detail))"
        case .responseTooLarge(let limit): return "the answer is larger than \(limit) bytes"
        case .cancelled: return "cancelled"
        case .other(let detail): return detail
        }
    }
}
