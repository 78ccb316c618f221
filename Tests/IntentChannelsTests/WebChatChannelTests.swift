import Foundation
import IntentCore
import Testing

@testable import IntentChannels

/// The web chat channel: no platform behind it, so a reply is sent as soon as the outbox has it
/// (the widget reads the row); visitors' ids are the server's random ones; origins as browsers send them.
@Suite struct WebChatChannelTests {
    let channel = WebChatChannel(settings: WebChatSettings(sites: [.init(name: "shop", origins: ["https://shop.example.com"])]))

    func item(_ kind: OutboundDraft.Kind, id: Int64 = 41) -> OutboxItem {
        OutboxItem(
            id: id, customer: "webchat:shop:" + String(repeating: "a", count: 32),
            recipient: ChannelIdentity(channel: "webchat", id: "shop:" + String(repeating: "a", count: 32)), phoneNumberID: "shop",
            draft: OutboundDraft(kind: kind, body: "Hello"), attempts: 0, createdAt: Date())
    }

    @Test func aReplyIsSentAtOnceUnderItsOutboxItemAndReceiptsSilently() async {
        #expect(await channel.send(item(.text)) == .sent(channelMessageID: "webchat:41"))
        #expect(await channel.send(item(.buttons, id: 42)) == .sent(channelMessageID: "webchat:42"))
        #expect(await channel.send(item(.list, id: 43)) == .sent(channelMessageID: "webchat:43"))
        #expect(await channel.send(item(.read)) == .sent(channelMessageID: nil))
        guard case .failed = await channel.send(item(.template)) else {
            Issue.record("a template is no web chat message")
            return
        }
        #expect(channel.replyWindow == nil && channel.name == "webchat" && !channel.hasWebhook)
        guard case .malformed = channel.read(webhook: Array("{}".utf8), headers: [:], receivedAt: Date()) else {
            Issue.record("the web chat reads no webhook")
            return
        }
    }

    @Test func visitorIdsAreRandom128BitHexAndKeyedBySite() {
        let ids = (0..<1_000).map { _ in WebChatVisitor.issue() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy(WebChatVisitor.isWellFormed))
        #expect(!WebChatVisitor.isWellFormed("ABCDEF" + String(repeating: "0", count: 26)))
        #expect(!WebChatVisitor.isWellFormed(String(repeating: "0", count: 31)))
        #expect(!WebChatVisitor.isWellFormed("shop:" + String(repeating: "0", count: 27)))
        let identity = WebChatVisitor.identity(site: "shop", visitor: ids[0])
        #expect(identity.key == "webchat:shop:" + ids[0])

        let message = channel.message(site: "shop", visitor: ids[0], text: "Small", choice: "size_s", replyToItem: 7, at: Date())
        #expect(message.customer == identity.key && message.channel == "webchat" && message.phoneNumberID == "shop")
        #expect(message.choice == "size_s" && message.replyTo == "webchat:7" && message.id.hasPrefix("webchat:"))
    }

    @Test func originsAreReadAsBrowsersSendThem() {
        func origin(_ text: String) -> String? { try? WebChatSettings.normalizedOrigin(text).get() }
        #expect(origin("https://Shop.Example.com") == "https://shop.example.com")
        #expect(origin("https://shop.example.com:443") == "https://shop.example.com")
        #expect(origin("http://localhost:3000") == "http://localhost:3000")
        #expect(origin("https://shop.example.com/") == "https://shop.example.com")
        #expect(origin("https://shop.example.com/chat") == nil)
        #expect(origin("*") == nil)
        #expect(origin("https://*.example.com") == nil)
        #expect(origin("ftp://shop.example.com") == nil)
        #expect(origin("shop.example.com") == nil)
        #expect(origin("https://user:pw@shop.example.com") == nil)
        let site = WebChatSettings.Site(name: "shop", origins: ["https://shop.example.com"])
        #expect(site.allows(origin: "https://shop.example.com") && !site.allows(origin: "https://shop.example.com.evil.example"))
        #expect(WebChatSettings.isValidSiteName("shop-2") && !WebChatSettings.isValidSiteName("Shop") && !WebChatSettings.isValidSiteName(""))
    }
}
