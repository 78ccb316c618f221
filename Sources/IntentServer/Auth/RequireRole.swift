import Hummingbird
import IntentChannels

/// A route group's guard: the request's bearer token (a configured one, or an agent's) must
/// carry `read` for GET and HEAD, `write` for any other method. Who signed goes into the context
/// for the handlers (`IntentRequestContext.role`, `agent`, `tokenName`, `signature`).
///
/// No token, or one that is neither configured nor an agent's: 401. A token below the role the
/// method needs: 403 `forbidden_role`, naming the role.
///
/// When no configured token grants `read` and the request is not an agent's, `unconfigured`
/// decides: `.open` lets it through with no role (`/v1/stats` then hides the customers' words),
/// `.refuse` answers with an error that says which setting opens the routes (or 401 once
/// agents exist: their tokens open them).
struct RequireRole: RouterMiddleware {
    typealias Context = IntentRequestContext

    enum Unconfigured: Sendable {
        case open
        case refuse(APIError)
    }

    let read: Role
    let write: Role
    let tokens: Tokens
    /// The agents whose tokens are taken too; nil: only the configured tokens.
    let agents: AgentDirectory?
    let unconfigured: Unconfigured
    /// Who may call, for a 401's message; by default what the role says.
    var holders: String?

    init(read: Role, write: Role, tokens: Tokens, agents: AgentDirectory?, unconfigured: Unconfigured, holders: String? = nil) {
        self.read = read
        self.write = write
        self.tokens = tokens
        self.agents = agents
        self.unconfigured = unconfigured
        self.holders = holders
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let needed = request.method == .get || request.method == .head ? read : write
        let bearer = Tokens.bearer(of: request)
        var context = context
        if let bearer, let signer = tokens.signer(of: bearer) {
            context.role = signer.role
            context.tokenName = signer.signature
        } else if let bearer, let agent = try await agent(of: bearer) {
            context.role = Role(agent.role)
            context.agent = agent.name
            context.agentDisplayName = agent.displayName
        } else {
            if !tokens.grant(read) {
                switch unconfigured {
                case .open: return try await next(request, context)
                case .refuse(let error): if try await !agentsExist() { throw error }
                }
            }
            var error = APIError(.unauthorized, "unauthorized", "send \(holders ?? needed.holders) as 'Authorization: Bearer <token>'")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        if let role = context.role, role < needed {
            let who = context.agent.map { "the agent '\($0)'" } ?? context.tokenName.map { "the \($0)" } ?? "this token"
            throw APIError(
                .forbidden, "forbidden_role",
                "\(request.method) \(request.uri.path) needs the role \(needed.name) (or more); \(who) has the role \(role.name)")
        }
        return try await next(request, context)
    }

    private func agent(of token: String) async throws -> Agent? {
        guard let agents else { return nil }
        do {
            return try await agents.agent(token: token)
        } catch {
            throw APIError.agentsUnreadable
        }
    }

    private func agentsExist() async throws -> Bool {
        guard let agents else { return false }
        do {
            return try await agents.exist()
        } catch {
            throw APIError.agentsUnreadable
        }
    }
}

extension APIError {
    /// The console's API shows customers' messages: it is off until a token guards it.
    static let noConsoleToken = APIError(
        .forbidden, "no_console_token",
        "set INTENT_CONSOLE_TOKEN (or INTENT_ADMIN_TOKEN), or add an agent (intent-service agents add), to use the console's API: it shows customers' messages"
    )

    /// An agent's token cannot be checked while the state store cannot be read.
    static let agentsUnreadable = APIError(
        .serviceUnavailable, "store_unavailable", "the state store cannot be read to check the agent's token; retry when /readyz reports it ok")
}
