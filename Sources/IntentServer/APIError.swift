import Foundation
package import Hummingbird
import Logging

/// Every error a client sees: `{"error": {"code": "...", "message": "..."}}`
/// (plus `issues`, a list of `file:line: field: problem` lines, for an invalid
/// corpus) with a 4xx status; 5xx only for a fault of the service itself.
///
/// An `HTTPResponseError`: thrown anywhere a Hummingbird responder runs, it renders itself, and
/// `APIErrorMiddleware` gives every other error (routing's 404 and 405, unexpected ones) the
/// same shape.
package struct APIError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var issues: [String]?
    package var headers: HTTPFields = [:]

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String, issues: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var error: [String: Any] = ["code": code, "message": message]
        if let issues { error["issues"] = issues }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error thrown by a route, or by routing itself, into an `APIError` response.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = IntentRequestContext
    /// Paths that exist, with the methods they allow: a known path with another method is a 405.
    let allowedMethods: [String: [HTTPRequest.Method]]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPResponseError {
            return translate(error.status, request).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["type": "\(String(reflecting: type(of: error)))"])
            return APIError(.internalServerError, "internal", "the service failed to answer; try again").response()
        }
    }

    private func translate(_ status: HTTPResponse.Status, _ request: Request) -> APIError {
        switch status {
        case .notFound:
            if let allowed = allowedMethods[request.uri.path], !allowed.contains(request.method) {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                var error = APIError(
                    .methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(list)")
                error.headers[.allow] = list
                return error
            }
            return APIError(.notFound, "not_found", "no route \(request.method) \(request.uri.path)")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "body_too_large", "the request body is larger than the limit")
        default:
            return APIError(status, "http_\(status.code)", status.reasonPhrase)
        }
    }
}
