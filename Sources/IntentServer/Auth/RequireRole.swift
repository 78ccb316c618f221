import Hummingbird

/// A route group's guard: the request's bearer token must carry `minimum` (or more); its role
/// goes into the context for the handlers (`IntentRequestContext.role`).
///
/// When no configured token grants `minimum`, `unconfigured` decides: `.open` lets every request
/// through with no role (`/v1/stats` then hides the customers' words), `.refuse` answers with
/// an error that says which setting opens the routes.
struct RequireRole: RouterMiddleware {
    typealias Context = IntentRequestContext

    enum Unconfigured: Sendable {
        case open
        case refuse(APIError)
    }

    let minimum: Role
    let tokens: Tokens
    let unconfigured: Unconfigured

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard tokens.grant(minimum) else {
            if case .refuse(let error) = unconfigured { throw error }
            return try await next(request, context)
        }
        guard let role = tokens.role(of: request), role >= minimum else {
            var error = APIError(.unauthorized, "unauthorized", "send \(minimum.holders) as 'Authorization: Bearer <token>'")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        var context = context
        context.role = role
        return try await next(request, context)
    }
}

extension APIError {
    /// The console's API shows customers' messages: it is off until a token guards it.
    static let noConsoleToken = APIError(
        .forbidden, "no_console_token", "set INTENT_CONSOLE_TOKEN (or INTENT_ADMIN_TOKEN) to use the console's API: it shows customers' messages")
}
