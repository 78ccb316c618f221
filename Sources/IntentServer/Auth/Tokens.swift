import Hummingbird
import IntentCore

/// The configured bearer tokens, the role each carries and the name it signs with (empty tokens
/// are left out). The console and admin tokens are both admins; they differ in their signature,
/// and only the admin token opens `/admin/*` (a group of its own: `Tokens(admin:)`).
package struct Tokens: Sendable {
    private let entries: [(token: [UInt8], role: Role, signature: String)]

    package init(stats: String? = nil, console: String? = nil, admin: String? = nil) {
        let all: [(String?, Role, String)] = [(stats, .stats, "stats token"), (console, .admin, "console token"), (admin, .admin, "admin token")]
        entries = all.compactMap { token, role, signature in token.flatMap { $0.isEmpty ? nil : (Array($0.utf8), role, signature) } }
    }

    /// Whether any token grants `role` (or more).
    package func grant(_ role: Role) -> Bool { entries.contains { $0.role >= role } }

    /// The `Authorization: Bearer` token of a request, if it sends one.
    static func bearer(of request: Request) -> String? {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { return nil }
        return String(header.dropFirst(prefix.count))
    }

    /// Who signs with `token`, when it is one of the configured tokens: its role, and its name.
    /// Every token is compared, whichever matches, in constant time: the time taken does not say
    /// which. A token configured twice counts as the later one (the admin token's name wins).
    func signer(of token: String) -> (role: Role, signature: String)? {
        let given = Array(token.utf8)
        var matched: (role: Role, signature: String)?
        for entry in entries where ConstantTime.equal(given, entry.token) {
            if matched.map({ $0.role <= entry.role }) ?? true { matched = (entry.role, entry.signature) }
        }
        return matched
    }
}
