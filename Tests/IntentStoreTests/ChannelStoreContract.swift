import Foundation
import IntentChannels
import IntentCore
import Testing

/// Customers of several channels in one store: replies go back where the customer wrote from,
/// and each channel has its own figures.
extension ConversationStoreContract {
    static func message(_ id: String, from sender: ChannelIdentity, at offset: TimeInterval = 0) -> InboundMessage {
        InboundMessage(id: id, from: sender, customerName: "Li", account: "bot", type: "text", text: "hi", sentAt: t0.addingTimeInterval(offset))
    }

    static func answersEachCustomerOnTheirChannel(_ store: any ConversationStore) async throws {
        let telegram = ChannelIdentity(channel: "telegram", id: "4242")
        let whatsapp = ChannelIdentity(channel: ChannelIdentity.whatsapp, id: "8613800000000")
        let fromTelegram = message("telegram:1", from: telegram)
        let fromWhatsApp = message("wamid.1", from: whatsapp)
        let fresh = try await store.receive([fromTelegram, fromWhatsApp], statuses: [], at: t0)
        #expect(fresh.map(\.customer) == ["telegram:4242", "8613800000000"])
        // What the inbox loop reads back names the sender and channel as received.
        let waiting = try await store.unprocessed(limit: 10)
        #expect(waiting.map(\.identity) == [telegram, whatsapp])
        #expect(waiting.map(\.customer) == ["telegram:4242", "8613800000000"])
        for message in waiting { #expect(try await store.process(message, at: t0, plan: plan(message, replies: ["hello"]))) }

        let due = try await store.dueOutbox(now: t0, limit: 10)
        #expect(Set(due.map(\.recipient)) == [telegram, whatsapp])
        #expect(try await store.conversation(customer: "telegram:4242")?.identity == telegram)
        #expect(try await store.conversation(customer: "8613800000000")?.identity == whatsapp)

        // A message not caused by an inbound one goes where the customer last wrote from.
        for item in due { try await store.markSent(item.id, channelMessageID: "sent-\(item.id)", at: t0) }
        let queued = try await store.advance(customer: "telegram:4242", at: t0, finishing: nil) { conversation in
            ConversationPlan(conversation: conversation, replies: [.text("later", origin: .agent("wang"))], triggers: [])
        }
        #expect(queued?.count == 1)
        var sentTo: [ChannelIdentity] = []
        while true {
            let next = try await store.dueOutbox(now: t0.addingTimeInterval(1), limit: 10)
            if next.isEmpty { break }
            for item in next {
                if item.draft.body == "later" { sentTo.append(item.recipient) }
                if item.customer == "8613800000000" && item.draft.kind == .text {
                    try await store.markFailed(item.id, at: t0, error: "131047")
                } else {
                    try await store.markSent(item.id, channelMessageID: "sent-\(item.id)", at: t0)
                }
            }
        }
        #expect(sentTo == [telegram])

        let figures = try await store.statistics()
        #expect(figures.channels["telegram"] == ChannelStatistics.ChannelFigures(received: 1, sent: 2, failed: 0, pending: 0, customers: 1))
        #expect(figures.channels["whatsapp"] == ChannelStatistics.ChannelFigures(received: 1, sent: 0, failed: 1, pending: 0, customers: 1))
        // Channel figures are not triggers.
        #expect(figures.triggers.keys.allSatisfy { !$0.hasPrefix("channel:") })
        #expect(figures.received == 2 && figures.sent == 2 && figures.failed == 1)
    }
}
