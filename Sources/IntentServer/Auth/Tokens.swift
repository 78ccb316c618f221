import Hummingbird
import IntentCore

/// The configured bearer tokens and the role each carries (empty tokens are left out).
package struct Tokens: Sendable {
    private let roles: [(token: [UInt8], role: Role)]

    package init(stats: String? = nil, console: String? = nil, admin: String? = nil) {
        let all: [(String?, Role)] = [(stats, .stats), (console, .console), (admin, .admin)]
        roles = all.compactMap { token, role in token.flatMap { $0.isEmpty ? nil : (Array($0.utf8), role) } }
    }

    /// Whether any token grants `role` (or more).
    package func grant(_ role: Role) -> Bool { roles.contains { $0.role >= role } }

    /// The role of the request's `Authorization: Bearer` token, or nil (none, or not one of ours).
    /// Every token is compared, whichever matches, in constant time: the time taken does not say which.
    func role(of request: Request) -> Role? {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { return nil }
        let given = Array(header.dropFirst(prefix.count).utf8)
        var matched: Role?
        for (token, role) in roles where ConstantTime.equal(given, token) {
            matched = max(matched ?? role, role)
        }
        return matched
    }
}
