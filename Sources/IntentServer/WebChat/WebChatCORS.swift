import HTTPTypes
import Hummingbird
import IntentChannels

/// The web chat routes' cross-origin rules: a site's routes answer browsers on the site's
/// configured origins only (the `Origin` echoed in `Access-Control-Allow-Origin`, never `*`,
/// never with credentials: the widget sends no cookies), refuse any other origin with 403
/// `origin_not_allowed`, and answer the preflight (`OPTIONS`). An unknown site is a 404. Errors
/// carry the same headers, so that the widget can read a 429's `Retry-After`.
struct WebChatCORS: RouterMiddleware {
    typealias Context = IntentRequestContext
    let settings: WebChatSettings

    static let allowedMethods = "GET, POST, OPTIONS"
    static let allowedHeaders = "Content-Type, Last-Event-ID"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let name = context.parameters.get("site") ?? ""
        guard let site = settings.sites[name] else {
            throw APIError(.notFound, "unknown_site", "no web chat site '\(name)' is configured (webchat_sites)")
        }
        let origin = request.headers[.origin]
        if let origin, !site.allows(origin: origin) {
            var error = APIError(.forbidden, "origin_not_allowed", "pages on \(origin) may not use the web chat of site '\(name)'")
            error.headers[.vary] = "Origin"
            throw error
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = "600"
        } else {
            do {
                response = try await next(request, context)
            } catch let error as APIError {
                response = error.response()
            }
        }
        response.headers[.vary] = "Origin"
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "Retry-After"
        }
        return response
    }
}
