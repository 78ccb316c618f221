import Dispatch
import HTTPTypes
import Hummingbird
import Logging

/// Outermost middleware: gives each request its id (the caller's `X-Request-Id`
/// when sane, else a new one), echoes it in the response, logs the request at
/// debug level and records its route, status and duration in the metrics.
struct RequestObserverMiddleware: RouterMiddleware {
    typealias Context = IntentRequestContext
    let metrics: ServiceMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let started = DispatchTime.now().uptimeNanoseconds
        var context = context
        context.requestID = RequestID.from(request)
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.logger.trace("request received", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)"])
        var response = try await next(request, context)
        response.headers[RequestID.header] = context.requestID
        let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - started)
        let route = context.endpointPath ?? "unknown"
        metrics.request(route: route, status: response.status.code, nanoseconds: elapsed)
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "ms": "\(Double(elapsed / 10_000) / 100)",
            ])
        return response
    }
}

enum RequestID {
    static let header = HTTPField.Name("X-Request-Id")!

    static func from(_ request: Request) -> String {
        if let given = request.headers[header], !given.isEmpty, given.count <= 64,
            given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        {
            return given
        }
        return newID()
    }

    /// A random (version 4) UUID, lower-case. Foundation's `UUID()` opens /dev/urandom on
    /// every call here (~4 µs, 15% of a `/healthz` request); one `getrandom` does the same.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func newID() -> String {
        var random = SystemRandomNumberGenerator()
        let high = (random.next() as UInt64) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = (random.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            var at = 0
            // 8-4-4-4-12: dashes before hex digits 8 and 12 of the high half, 0 and 4 of the low.
            for (value, dashes) in [(high, [8, 12]), (low, [0, 4])] {
                for position in 0..<16 {
                    if dashes.contains(position) {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = hexDigits[Int((value >> UInt64((15 - position) * 4)) & 0xF)]
                    at += 1
                }
            }
            return at
        }
    }
}
