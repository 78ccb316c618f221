import Hummingbird
import IntentCore

/// A bearer token a route demands (`Authorization: Bearer <token>`), compared in constant time.
struct BearerToken: Sendable {
    /// Any of these is accepted (a route readable with the stats, console or admin token).
    let tokens: [String]
    /// Names the token in the 401 message ("the admin token").
    let name: String

    init(token: String, name: String) {
        self.init(tokens: [token], name: name)
    }

    init(tokens: [String], name: String) {
        self.tokens = tokens.filter { !$0.isEmpty }
        self.name = name
    }

    func authorize(_ request: Request) throws {
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
    }
}
