import Foundation
import IntentHTTP
import Testing

@testable import IntentChannels

/// Each channel's pace, on a clock the test moves: overall, and per customer as the channel's
/// platform allows (WhatsApp's burst of 5 then one every 6 s, Telegram's about one a second in
/// a chat, none for the web chat).
@Suite struct SendPacerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// How many messages to `customer` are admitted at `now` before the pacer says to wait, and until when.
    static func burst(_ pacer: inout SendPacer, _ customer: String = "c1", at now: Date, most: Int = 1_000) -> (admitted: Int, next: Date?) {
        for admitted in 0..<most {
            if let next = pacer.admit(customer: customer, isMessage: true, now: now) { return (admitted, next) }
        }
        return (most, nil)
    }

    /// Within a millisecond: a rate of one every 6 s is not exact in binary.
    static func near(_ date: Date?, _ expected: Date) -> Bool {
        date.map { abs($0.timeIntervalSince(expected)) < 0.001 } ?? false
    }

    @Test func whatsAppsCustomersGetABurstOfFiveThenOneEverySixSeconds() {
        let whatsapp = WhatsAppChannel(
            settings: WhatsAppSettings(verifyToken: "v", appSecret: "s", accessToken: "t"), transport: CurlHTTPClient())
        #expect(whatsapp.customerPacing == CustomerPacing(burst: 5, interval: 6))
        var pacer = SendPacer(for: whatsapp)
        let first = Self.burst(&pacer, at: Self.t0)
        #expect(first.admitted == 5 && Self.near(first.next, Self.t0.addingTimeInterval(6)))
        // Read receipts are not messages: only the overall bucket counts them.
        #expect(pacer.admit(customer: "c1", isMessage: false, now: Self.t0) == nil)
        // Another customer has a burst of their own.
        #expect(Self.burst(&pacer, "c2", at: Self.t0).admitted == 5)
        #expect(Self.burst(&pacer, at: Self.t0.addingTimeInterval(5.9)).admitted == 0)
        let later = Self.burst(&pacer, at: Self.t0.addingTimeInterval(6.001))
        #expect(later.admitted == 1 && Self.near(later.next, Self.t0.addingTimeInterval(12)))
    }

    @Test func telegramsChatsGetAGreetingAndAnswerAtOnceThenOneASecond() {
        let telegram = TelegramChannel(settings: TelegramSettings(botToken: "1:x", webhookSecret: "s"), transport: CurlHTTPClient())
        var pacer = SendPacer(for: telegram)
        let first = Self.burst(&pacer, at: Self.t0)
        #expect(first.admitted == 3 && first.next == Self.t0.addingTimeInterval(1))
        // Then one a second, as Telegram asks, however long the answer.
        for second in 1...10 {
            let now = Self.t0.addingTimeInterval(Double(second))
            let step = Self.burst(&pacer, at: now)
            #expect(step.admitted == 1 && step.next == now.addingTimeInterval(1))
        }
        // A quiet chat has its burst again.
        #expect(Self.burst(&pacer, at: Self.t0.addingTimeInterval(60)).admitted == 3)
    }

    @Test func allChatsTogetherStayWithinTheChannelsRate() {
        let telegram = TelegramChannel(settings: TelegramSettings(botToken: "1:x", webhookSecret: "s"), transport: CurlHTTPClient())
        var pacer = SendPacer(for: telegram)
        var admitted = 0
        var next: Date?
        for chat in 0..<100 {
            if let wait = pacer.admit(customer: "chat\(chat)", isMessage: true, now: Self.t0) {
                next = wait
                break
            }
            admitted += 1
        }
        #expect(admitted == 30 && next == Self.t0.addingTimeInterval(1.0 / 30))
    }

    @Test func theWebChatPacesNoVisitor() {
        let webchat = WebChatChannel(settings: WebChatSettings(sites: [.init(name: "shop", origins: ["https://shop.example.com"])]))
        #expect(webchat.customerPacing == nil)
        var pacer = SendPacer(for: webchat)
        // One visitor may be sent as many as the channel sends in a second.
        let burst = Self.burst(&pacer, at: Self.t0, most: 2_000)
        #expect(burst.admitted == 1_000)
    }
}
