import Hummingbird

/// A bearer token a route demands (`Authorization: Bearer <token>`), compared in constant time.
struct BearerToken: Sendable {
    let token: String
    /// Names the token in the 401 message ("the admin token").
    let name: String

    func authorize(_ request: Request) throws {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.constantTimeEqual(Array(header.dropFirst(prefix.count).utf8), Array(token.utf8))
        else {
            var error = APIError(.unauthorized, "unauthorized", "send \(name) as 'Authorization: Bearer <token>'")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
    }

    /// Compares without an early exit, so response time does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
