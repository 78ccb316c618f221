/// A web chat visitor's id: 128 random bits as 32 lower-case hex digits, issued by the service
/// with a visitor's first message and kept in the page's local storage. Never chosen by the
/// client: the routes take only ids whose conversation the store holds (see `WebChatRoutes`).
package enum WebChatVisitor {
    /// A new id from the system's cryptographic generator.
    package static func issue() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    /// Whether `id` has the shape of an issued id (nothing about whether it was).
    package static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Who the visitor is on the web chat: the site and the visitor (one visitor id on two sites
    /// is two conversations, each site's origins guarding its own).
    package static func identity(site: String, visitor: String) -> ChannelIdentity {
        ChannelIdentity(channel: WebChatChannel.channelName, id: site + ":" + visitor)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
