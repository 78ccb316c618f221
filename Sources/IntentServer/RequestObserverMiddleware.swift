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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = DispatchTime.now().uptimeNanoseconds
        var context = context
        context.requestID = RequestID.from(request)
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
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
        return UUID().uuidString.lowercased()
    }
}

import Foundation
