package import Foundation

/// The web chat's sites: each a name the embedding page gives (`data-site="shop"`) and the
/// origins its pages are served from. Only those origins may call the site's routes from a
/// browser (CORS); a page elsewhere cannot use the business's widget.
package struct WebChatSettings: Sendable {
    package struct Site: Sendable, Equatable {
        package var name: String
        /// Origins as browsers send them (`https://shop.example.com`, `http://localhost:3000`):
        /// scheme and host in lower case, the port only when not the scheme's default.
        package var origins: [String]

        package init(name: String, origins: [String]) {
            self.name = name
            self.origins = origins
        }

        package func allows(origin: String) -> Bool { origins.contains(origin.lowercased()) }
    }

    /// How much one visitor and one network address may send (token buckets: a burst, then a
    /// steady rate).
    package struct Limits: Sendable, Equatable {
        /// Messages one visitor may send at once, then one every `visitorInterval` seconds.
        package var visitorBurst: Double = 10
        package var visitorInterval: TimeInterval = 3
        /// Messages from one address (all its visitors: an office behind one NAT) at once, then
        /// one every `addressInterval` seconds.
        package var addressBurst: Double = 60
        package var addressInterval: TimeInterval = 0.5
        /// Reads (message lists, event streams) from one address at once, then one every
        /// `readInterval` seconds: a widget that cannot stream polls every few seconds.
        package var readBurst: Double = 120
        package var readInterval: TimeInterval = 0.1

        package init() {}
    }

    /// By name.
    package var sites: [String: Site]
    package var limits: Limits
    /// Whether the client's address is the last one of `X-Forwarded-For` (the service behind a
    /// reverse proxy that appends it) rather than the connection's peer.
    package var trustForwardedFor: Bool
    /// Messages, conversations and delivery statuses older than this are deleted.
    package var retentionDays: Int
    /// The longest reply one widget message carries, in Unicode scalars: `/match`'s
    /// `max_message_chars`, the limit on what visitors send, so that both ways are alike.
    package var maxTextLength: Int

    package init(sites: [Site], limits: Limits = Limits(), trustForwardedFor: Bool = false, retentionDays: Int = 90, maxTextLength: Int = 2_000) {
        self.maxTextLength = maxTextLength
        self.sites = Dictionary(sites.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.limits = limits
        self.trustForwardedFor = trustForwardedFor
        self.retentionDays = retentionDays
    }

    /// A site's name: what a page's `data-site` and the routes' `{site}` hold.
    package static func isValidSiteName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
            }
    }

    /// An origin as a browser's `Origin` header carries it: nil, with the reason, when `text`
    /// is not one (a path, a query, credentials, a wildcard, another scheme).
    package static func normalizedOrigin(_ text: String) -> Result<String, OriginError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.contains("*") else { return .failure(OriginError("a wildcard is not an origin: list each site's origins")) }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http"
        else { return .failure(OriginError("an origin is https://host or http://host, with a port when not the default")) }
        guard let host = components.host?.lowercased(), !host.isEmpty else { return .failure(OriginError("no host")) }
        guard components.user == nil, components.password == nil else { return .failure(OriginError("an origin has no user or password")) }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            return .failure(OriginError("an origin has no path, query or fragment (the browser sends scheme, host and port only)"))
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = components.port, port != defaultPort {
            guard (1...65_535).contains(port) else { return .failure(OriginError("port \(port) is out of range")) }
            return .success("\(scheme)://\(hostPart):\(port)")
        }
        return .success("\(scheme)://\(hostPart)")
    }

    package struct OriginError: Error, Equatable, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }
}
