import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport
import Testing

@testable import IntentChannels

/// The Messenger and Instagram channels on their own: webhooks read, sends made against the
/// fake Send API (Fixtures/fake_messenger.py).
@Suite struct MessengerChannelTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"
    static let page = "104000000000001"
    static let instagramAccount = "17841400000000001"

    static func settings(
        _ platform: MessengerSettings.Platform = .messenger, fake: FakeMessengerServer? = nil, token: String? = nil
    ) -> MessengerSettings {
        MessengerSettings(
            platform: platform, verifyToken: "verify-me", appSecret: secret,
            accountID: fake?.account ?? (platform == .messenger ? page : instagramAccount),
            accessToken: token ?? fake?.token ?? "EAAG-unused", graphURL: fake?.base ?? MessengerSettings.defaultGraphURL)
    }

    static func channel(
        _ platform: MessengerSettings.Platform = .messenger, fake: FakeMessengerServer? = nil, token: String? = nil
    ) -> MessengerChannel {
        MessengerChannel(settings: settings(platform, fake: fake, token: token), transport: CurlHTTPClient())
    }

    static func fake(_ platform: MessengerSettings.Platform = .messenger) async throws -> FakeMessengerServer {
        try await FakeMessengerServer.start(platform: platform, account: platform == .messenger ? page : instagramAccount)
    }

    /// The batch of a signed delivery; a recorded issue (and an empty batch) otherwise.
    func batch(_ channel: MessengerChannel, _ body: [UInt8], at: Date = Date()) -> InboundBatch {
        let reading = channel.read(
            webhook: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: Self.secret).header(for: body)], receivedAt: at)
        guard case .batch(let batch) = reading else {
            Issue.record("expected a batch, got \(reading)")
            return InboundBatch()
        }
        return batch
    }

    func item(_ draft: OutboundDraft, to customer: String = "6100000000000001", platform: MessengerSettings.Platform = .messenger) -> OutboxItem {
        OutboxItem(
            id: 1, customer: ChannelIdentity(channel: platform.name, id: customer).key,
            recipient: ChannelIdentity(channel: platform.name, id: customer),
            phoneNumberID: "", draft: draft, attempts: 0, createdAt: Date())
    }

    // MARK: Handshake and signatures

    @Test func theHandshakeEchoesTheChallengeOnlyForTheChannelsVerifyToken() {
        for platform in MessengerSettings.Platform.allCases {
            let channel = Self.channel(platform)
            #expect(
                channel.answerHandshake(query: ["hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"])
                    == .echo("1158201444"))
            let refused = Handshake.refused("hub.mode must be subscribe and hub.verify_token must match \(platform.rawValue)_verify_token")
            #expect(channel.answerHandshake(query: ["hub.mode": "subscribe", "hub.verify_token": "verify-you", "hub.challenge": "1"]) == refused)
            #expect(channel.answerHandshake(query: ["hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"]) == refused)
            #expect(channel.answerHandshake(query: ["hub.mode": "subscribe", "hub.challenge": "1"]) == refused)
        }
    }

    @Test func unsignedForgedAndMalformedDeliveriesAreRefused() {
        for platform in MessengerSettings.Platform.allCases {
            let channel = Self.channel(platform)
            let account = platform == .messenger ? Self.page : Self.instagramAccount
            let body = MessagingBody.message(mid: "m_1", from: "6100000000000001", text: "refund", platform: platform, account: account)
            guard case .unsigned(let unsigned) = channel.read(webhook: body, headers: [:], receivedAt: Date()) else {
                Issue.record("an unsigned delivery must be refused")
                continue
            }
            #expect(unsigned == "X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret")
            let forged = channel.read(
                webhook: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: "wrong").header(for: body)], receivedAt: Date())
            guard case .forged(let reason) = forged else {
                Issue.record("a wrongly signed delivery must be refused")
                continue
            }
            #expect(reason == "X-Hub-Signature-256 does not match the body under \(platform.rawValue)_app_secret")
            #expect(!reason.contains(Self.secret))
            func signed(_ bytes: [UInt8]) -> WebhookReading {
                channel.read(
                    webhook: bytes, headers: ["x-hub-signature-256": WebhookSignature(appSecret: Self.secret).header(for: bytes)], receivedAt: Date())
            }
            guard case .malformed = signed(Array("not json".utf8)) else {
                Issue.record("a signed non-JSON body must be malformed")
                continue
            }
            // The other platform's object is not this channel's delivery.
            let other = platform == .messenger ? "instagram" : "page"
            guard case .malformed(let wrongObject) = signed(Array(#"{"object":"\#(other)","entry":[]}"#.utf8)) else {
                Issue.record("another platform's object must be malformed")
                continue
            }
            #expect(wrongObject.contains("expected \(platform == .messenger ? "page" : "instagram")"))
            guard case .malformed = signed(Array(#"{"object":"page","entry":[{"id":"1","messaging":"x"}]}"#.utf8)) else {
                Issue.record("messaging that is not a list must be malformed")
                continue
            }
        }
    }

    // MARK: Reading

    @Test func aTypedMessageNamesTheCustomerByChannelAndPageScopedID() {
        let at = Date(timeIntervalSince1970: 1_796_000_000.123)
        let batch = batch(Self.channel(), MessagingBody.message(mid: "m_AbC", from: "6100000000000001", text: "我要 refund 退款", at: at), at: at)
        #expect(batch.messages.count == 1)
        let message = batch.messages[0]
        #expect(message.id == "m_AbC")
        #expect(message.customer == "messenger:6100000000000001")
        #expect(message.channel == "messenger")
        #expect(message.sender == "6100000000000001")
        #expect(message.phoneNumberID == Self.page)
        #expect(message.type == "text")
        #expect(message.text == "我要 refund 退款")
        #expect(message.choice == nil)
        #expect(abs(message.sentAt.timeIntervalSince(at)) < 0.002)
        #expect(batch.unusableTimestamps == 0)
    }

    @Test func quickRepliesAndPostbacksAreChoices() {
        let channel = Self.channel()
        let quick = batch(channel, MessagingBody.message(mid: "m_Q", from: "6100000000000002", text: "Track order", quickReply: "track")).messages
        #expect(quick.map(\.type) == ["quick_reply"])
        #expect(quick.first?.text == "Track order")
        #expect(quick.first?.choice == "track")

        let postback = batch(channel, MessagingBody.postback(mid: "m_P", from: "6100000000000002", title: "Get Started", payload: "GET_STARTED"))
            .messages
        #expect(postback.map(\.id) == ["m_P"])
        #expect(postback.first?.type == "postback")
        #expect(postback.first?.text == "Get Started")
        #expect(postback.first?.choice == "GET_STARTED")

        // Without a mid (older API versions), the id comes from the sender and Meta's timestamp:
        // a redelivery is the same message.
        let at = Date(timeIntervalSince1970: 1_796_000_000)
        let body = MessagingBody.postback(mid: nil, from: "6100000000000002", title: "Menu", payload: "MENU", at: at)
        let first = batch(channel, body).messages
        #expect(first.map(\.id) == ["messenger:postback:6100000000000002:1796000000000"])
        #expect(batch(channel, body, at: Date().addingTimeInterval(3_600)).messages.map(\.id) == first.map(\.id))
    }

    @Test func echoesOtherPagesAndEventsWithoutASenderAreSkipped() throws {
        let channel = Self.channel()
        #expect(batch(channel, MessagingBody.message(mid: "m_E", from: "6100000000000003", text: "Our answer", echo: true)).isEmpty)
        #expect(batch(channel, MessagingBody.message(mid: "m_O", from: "6100000000000003", text: "refund", account: "999")).isEmpty)
        let decoded = try MessagingWebhook.decode(
            MessagingBody.message(mid: "m_O", from: "6100000000000003", text: "refund", account: "999"), platform: .messenger, accountID: Self.page)
        #expect(decoded.skipped == 1)
        let noSender = Array(
            #"{"object":"page","entry":[{"id":"104000000000001","messaging":[{"recipient":{"id":"104000000000001"},"timestamp":1796000000000,"message":{"mid":"m_N","text":"hi"}}]}]}"#
                .utf8)
        #expect(batch(channel, noSender).isEmpty)
        let noMid = Array(
            #"{"object":"page","entry":[{"id":"104000000000001","messaging":[{"sender":{"id":"61"},"timestamp":1796000000000,"message":{"text":"hi"}}]}]}"#
                .utf8)
        #expect(batch(channel, noMid).isEmpty)
    }

    @Test func attachmentsKeepTheirTypeAndTimestampsThatAreNoTimeAreCounted() {
        let channel = Self.channel()
        let image = batch(channel, MessagingBody.message(mid: "m_I", from: "6100000000000004", text: nil, attachments: ["image"])).messages
        #expect(image.map(\.type) == ["image"])
        #expect(image.first?.text == nil)
        let received = Date()
        let body = Array(
            #"{"object":"page","entry":[{"id":"104000000000001","messaging":[{"sender":{"id":"61"},"recipient":{"id":"104000000000001"},"timestamp":"soon","message":{"mid":"m_T","text":"hi"}}]}]}"#
                .utf8)
        let late = batch(channel, body, at: received)
        #expect(late.unusableTimestamps == 1)
        #expect(late.messages.first?.sentAt == received)
    }

    @Test func deliveriesNameEachMessageAndMessengersReadWatermarkNamesNone() {
        let channel = Self.channel()
        let delivered = batch(channel, MessagingBody.delivery(["m_out1", "m_out2"], from: "6100000000000005"))
        #expect(delivered.messages.isEmpty)
        #expect(delivered.statuses.map(\.messageID) == ["m_out1", "m_out2"])
        #expect(delivered.statuses.map(\.status) == ["delivered", "delivered"])
        #expect(delivered.statuses.first?.recipient == "messenger:6100000000000005")
        #expect(batch(channel, MessagingBody.delivery(nil, from: "6100000000000005")).isEmpty)
        #expect(batch(channel, MessagingBody.read(mid: nil, from: "6100000000000005")).isEmpty)

        let instagram = Self.channel(.instagram)
        let seen = batch(
            instagram, MessagingBody.read(mid: "aWdfZAG1", from: "1780000000000001", platform: .instagram, account: Self.instagramAccount))
        #expect(seen.statuses.map(\.messageID) == ["aWdfZAG1"])
        #expect(seen.statuses.map(\.status) == ["read"])
    }

    @Test func reactionsStoryRepliesAndMentionsAreRecordedWithTypesThatAreNotAnswered() {
        let instagram = Self.channel(.instagram)
        let account = Self.instagramAccount
        let at = Date(timeIntervalSince1970: 1_796_000_000)
        let body = MessagingBody.reaction(to: "aWdfOurs", from: "1780000000000002", emoji: "❤️", platform: .instagram, account: account, at: at)
        let reaction = batch(instagram, body).messages
        #expect(reaction.map(\.type) == ["reaction"])
        #expect(reaction.first?.id == "instagram:reaction:1780000000000002:aWdfOurs:1796000000000")
        #expect(reaction.first?.text == "❤️")
        #expect(reaction.first?.replyTo == "aWdfOurs")
        #expect(reaction.first?.customer == "instagram:1780000000000002")
        #expect(batch(instagram, body).messages.map(\.id) == reaction.map(\.id), "a redelivery is the same reaction")
        let taken = batch(
            instagram,
            MessagingBody.reaction(to: "aWdfOurs", from: "1780000000000002", emoji: "❤️", action: "unreact", platform: .instagram, account: account))
        #expect(taken.messages.first?.text == nil)

        let reply = batch(
            instagram,
            MessagingBody.message(mid: "aWdfSR", from: "1780000000000002", text: "Love it!", storyReply: true, platform: .instagram, account: account)
        )
        #expect(reply.messages.map(\.type) == ["story_reply"])
        #expect(reply.messages.first?.text == "Love it!")
        let mention = batch(
            instagram,
            MessagingBody.message(
                mid: "aWdfSM", from: "1780000000000002", text: nil, attachments: ["story_mention"], platform: .instagram, account: account))
        #expect(mention.messages.map(\.type) == ["story_mention"])
        for type in ["reaction", "story_reply", "story_mention"] { #expect(ConversationPolicy.silentTypes.contains(type)) }
    }

    // MARK: Sending

    @Test func aTextGoesAsAResponseFromThePageAndReadReceiptsAsMarkSeen() async throws {
        let fake = try await Self.fake()
        let channel = Self.channel(fake: fake)
        let outcome = await channel.send(item(.text("Refunds take 5 days.", quoting: "m_in")))
        guard case .sent(let id?) = outcome else {
            Issue.record("expected an id, got \(outcome)")
            return
        }
        #expect(id.hasPrefix("m_"))
        #expect(await channel.send(item(.read("m_in"))) == .sent(channelMessageID: nil))
        let sends = try await fake.sent()
        #expect(sends.count == 2)
        #expect(sends[0]["messaging_type"] as? String == "RESPONSE")
        #expect((sends[0]["recipient"] as? [String: Any])?["id"] as? String == "6100000000000001")
        #expect((sends[0]["message"] as? [String: Any])?["text"] as? String == "Refunds take 5 days.")
        #expect(sends[0]["tag"] == nil)
        #expect(sends[1]["sender_action"] as? String == "mark_seen")
        #expect(sends[1]["message"] == nil)
    }

    @Test func aPersonsReplyCarriesTheHumanAgentTag() async throws {
        for platform in MessengerSettings.Platform.allCases {
            let fake = try await Self.fake(platform)
            let channel = Self.channel(platform, fake: fake)
            guard case .sent = await channel.send(item(.text("Hi, Ana here.", origin: .agent("ana")), platform: platform)) else {
                Issue.record("\(platform): the agent's reply was not sent")
                continue
            }
            let send = try #require(try await fake.sent().first)
            #expect(send["messaging_type"] as? String == "MESSAGE_TAG")
            #expect(send["tag"] as? String == "HUMAN_AGENT")
        }
    }

    @Test func choicesBecomeAtMostThirteenQuickRepliesWithShortTitles() async throws {
        let fake = try await Self.fake()
        let channel = Self.channel(fake: fake)
        var options = (1...15).map { Flow.Option(id: "option_\($0)", title: "A rather long option title number \($0)") }
        options.insert(.init(id: "", title: "No id"), at: 0)
        options.insert(.init(id: "option_1", title: "Repeated id"), at: 2)
        options.insert(.init(id: String(repeating: "x", count: 1_001), title: "Id too long"), at: 3)
        options.insert(.init(id: "blank", title: "  "), at: 4)
        guard case .sent = await channel.send(item(OutboundDraft(kind: .list, body: "Which one?", options: options))) else {
            Issue.record("not sent")
            return
        }
        let message = try #require(try await fake.messages(to: "6100000000000001").first)
        #expect(message["text"] as? String == "Which one?")
        let replies = try #require(message["quick_replies"] as? [[String: Any]])
        #expect(replies.count == 13)
        #expect(replies.allSatisfy { $0["content_type"] as? String == "text" && ($0["title"] as? String ?? "").count <= 20 })
        #expect(replies.first?["payload"] as? String == "option_1")
        #expect(replies.first?["title"] as? String == "A rather long optio…")
        #expect(replies[1]["payload"] as? String == "blank")
        #expect(replies[1]["title"] as? String == "blank", "a blank title shows the id")
        #expect(replies.last?["payload"] as? String == "option_12")

        // A choice without a body still needs text: a label in the options' language.
        _ = await channel.send(item(OutboundDraft(kind: .buttons, body: " ", options: [.init(id: "a", title: "是"), .init(id: "b", title: "否")])))
        #expect(try await fake.messages(to: "6100000000000001").last?["text"] as? String == "选择")
    }

    @Test func templatesAndWebhookCallsAreNotMessengerMessages() async throws {
        let fake = try await Self.fake()
        let channel = Self.channel(fake: fake)
        let template = OutboundDraft(kind: .template, body: #"{"name":"order_update","language":"en_US","parameters":[]}"#)
        #expect(await channel.send(item(template)) == .failed("a template item is not a Messenger message; the channel sends none"))
        let webhook = OutboundDraft(kind: .webhook, body: "{}", context: "https://shop.example.com/hook")
        #expect(await channel.send(item(webhook)) == .failed("a webhook item is not a Messenger message; the channel sends none"))
        #expect(try await fake.stats()["requests"] as? Int == 0)
    }

    @Test func metaErrorCodesAreSortedIntoRetryFailureUnreachableAndCredentials() async throws {
        let fake = try await Self.fake()
        let channel = Self.channel(fake: fake)
        let text = item(.text("Refunds take 5 days."))
        for code in [1, 2, 4, 613] {
            try await fake.control(["script": [["mode": "error", "code": code]]])
            guard case .retry(let reason) = await channel.send(text) else {
                Issue.record("code \(code) must be retried")
                continue
            }
            #expect(reason.contains("code \(code)"))
        }
        // No answer at all (nothing listens on port 1): the network, tried again later.
        var unreachableSettings = Self.settings(fake: fake)
        unreachableSettings.graphURL = "http://127.0.0.1:1/v21.0"
        let noAnswer = await MessengerChannel(settings: unreachableSettings, transport: CurlHTTPClient()).send(text)
        guard case .retry(let network) = noAnswer, network.hasPrefix("no answer: ") else {
            Issue.record("no answer must be retried, got \(noAnswer)")
            return
        }
        try await fake.control(["script": [["mode": "error", "code": 10, "subcode": 2_018_278]]])
        guard case .failed(let outside) = await channel.send(text) else {
            Issue.record("code 10 must fail")
            return
        }
        #expect(outside.contains("code 10/2018278") && outside.contains("outside of allowed window"))
        try await fake.control(["script": [["mode": "error", "code": 100]]])
        guard case .failed = await channel.send(text) else {
            Issue.record("code 100 must fail")
            return
        }
        // The customer is gone (no matching user) or unavailable: for good.
        try await fake.control(["gone": ["6100000000000009"], "unavailable": ["6100000000000010"]])
        guard case .unreachable(let gone) = await channel.send(item(.text("Hello"), to: "6100000000000009")) else {
            Issue.record("100/2018001 must be unreachable")
            return
        }
        #expect(gone.contains("code 100/2018001") && gone.contains("No matching user found") && gone.contains("fbtrace_id"))
        guard case .unreachable(let unavailable) = await channel.send(item(.text("Hello"), to: "6100000000000010")) else {
            Issue.record("551 must be unreachable")
            return
        }
        #expect(unavailable.contains("code 551"))
        #expect(try await fake.sent().isEmpty)
    }

    @Test func aRejectedTokenNamesTheSettingAndNeverTheToken() async throws {
        for platform in MessengerSettings.Platform.allCases {
            let fake = try await Self.fake(platform)
            let token = "EAAG-expired-\(UUID().uuidString.prefix(8))"
            let channel = Self.channel(platform, fake: fake, token: token)
            let outcome = await channel.send(item(.text("Hello"), platform: platform))
            guard case .credentialsRejected(let reason, let detail) = outcome else {
                Issue.record("\(platform): a rejected token must be reported, got \(outcome)")
                continue
            }
            let setting = platform == .messenger ? "messenger_page_access_token" : "instagram_access_token"
            #expect(reason == "the \(platform == .messenger ? "Messenger" : "Instagram") access token was rejected (code 190): replace \(setting)")
            #expect(detail.contains("code 190"))
            #expect(!reason.contains(token) && !detail.contains(token) && !"\(outcome)".contains(token))
        }
    }
}
