import Hummingbird

/// Reads a request body whole, within a size limit and a time limit: a client that sends its
/// body slower than `ServerLimits.bodyTimeout` gets 408 and the connection is closed, so slow
/// clients cannot hold memory and tasks for as long as they like. (A connection that sends
/// nothing at all for `ServerLimits.idleTimeout`, between requests or within one, is closed by
/// the server itself.)
enum BodyCollector {
    static func collect(_ request: Request, limit: Int, timeout: Duration, what: String = "request body") async throws -> ByteBuffer {
        let body = request.body
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do {
                    return try await body.collect(upTo: limit)
                } catch is CancellationError {
                    return nil
                } catch {
                    throw APIError(.contentTooLarge, "body_too_large", "the \(what) is larger than \(limit) bytes")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                var error = APIError(
                    .requestTimeout, "request_timeout", "the \(what) did not arrive within \(timeout); send it at once")
                error.headers[.connection] = "close"
                throw error
            }
            return buffer
        }
    }
}
