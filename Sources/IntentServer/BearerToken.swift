import Hummingbird
import IntentCore

/// A bearer token a route demands (`Authorization: Bearer <token>`), compared in constant time.
struct BearerToken: Sendable {
    /// Any of these is accepted (a route readable with the stats, console or admin token).
    let tokens: [String]
    /// What each token is ("console token"), in `tokens`' order: who signed a request.
    let roles: [String]
    /// Names the token in the 401 message ("the admin token").
    let name: String

    init(token: String, name: String) {
        self.init(tokens: [token], name: name)
    }

    init(tokens: [String], name: String) {
        self.init(roles: tokens.map { ($0, "token") }, name: name)
    }

    /// Tokens with what each is; empty tokens are left out.
    init(roles: [(token: String, role: String)], name: String) {
        let kept = roles.filter { !$0.token.isEmpty }
        tokens = kept.map(\.token)
        self.roles = kept.map(\.role)
        self.name = name
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Checks the request's token; returns the role of the one it matched.
    @discardableResult
    func authorize(_ request: Request) throws -> String {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let given = Array(header.dropFirst(prefix.count).utf8)
        // Every token is compared, whichever matches: the time taken does not say which.
        let matches = tokens.map { ConstantTime.equal(given, Array($0.utf8)) }
        guard header.hasPrefix(prefix), matches.contains(true) else {
            var error = APIError(.unauthorized, "unauthorized", "send \(name) as 'Authorization: Bearer <token>'")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        return roles[matches.firstIndex(of: true)!]
    }
}
