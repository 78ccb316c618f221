import Foundation
import IntentChannels
import Testing

/// A quick reply's shortcut as stored, and its text as sent to one customer.
@Suite struct QuickReplyTests {
    @Test func aShortcutIsLettersDigitsUnderscoresAndDashesWithoutItsSlash() {
        #expect(QuickReply.shortcut("/refund") == "refund")
        #expect(QuickReply.shortcut("refund") == "refund")
        #expect(QuickReply.shortcut("order-status_2") == "order-status_2")
        #expect(QuickReply.shortcut("Refund2") == "Refund2")
        #expect(QuickReply.shortcut(String(repeating: "a", count: 32)) != nil)
        for refused in ["", "/", "//refund", "two words", "re/fund", "emoji😀", "tab\t", "退款", "café", String(repeating: "a", count: 33)] {
            #expect(QuickReply.shortcut(refused) == nil, "\(refused)")
        }
    }

    @Test func theContactIsFilledInWhenSentAndUnknownKeysAreEmpty() {
        let known = Conversation(
            customer: "c", name: "Ana", firstInboundAt: Date(), lastInboundAt: Date(), attributes: ["order": "A1001", "name": "not this"])
        let text = "Hi {{contact.name}}, order {{ contact.order }} ships; {{contact.city}}{{order}} stays."
        #expect(QuickReplyText.fill(text, conversation: known) == "Hi Ana, order A1001 ships; {{order}} stays.")
        let anonymous = Conversation(customer: "c", firstInboundAt: Date(), lastInboundAt: Date())
        #expect(QuickReplyText.fill("Hi {{contact.name}}!", conversation: anonymous) == "Hi !")
        #expect(QuickReplyText.fill("No fields, {{ unclosed", conversation: anonymous) == "No fields, {{ unclosed")
    }

    @Test func aSearchMatchesTheShortcutOrTheTextInAnyCase() {
        let reply = QuickReply(shortcut: "refund", text: "Refunds take 5 days.", updatedBy: "Lena", updatedAt: Date())
        #expect(reply.matches("REF") && reply.matches("/ref") && reply.matches("5 DAYS") && reply.matches(""))
        #expect(!reply.matches("parcel"))
    }
}
