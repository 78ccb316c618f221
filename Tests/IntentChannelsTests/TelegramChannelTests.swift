import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport
import Testing

@testable import IntentChannels

/// The Telegram channel on its own: updates read (and refused), and every kind of item sent to
/// the fake Bot API, with Telegram's errors sorted.
@Suite struct TelegramChannelTests {
    static let secret = "hook-secret_\(UUID().uuidString.prefix(8))"
    static let headers = ["x-telegram-bot-api-secret-token": secret]

    static func channel(_ fake: FakeTelegramServer? = nil, token: String? = nil) -> TelegramChannel {
        let settings = TelegramSettings(
            botToken: token ?? fake?.token ?? "7012345678:AAHunused", webhookSecret: secret, apiURL: fake?.base ?? "http://127.0.0.1:9")
        return TelegramChannel(settings: settings, transport: CurlHTTPClient())
    }

    func messages(_ reading: WebhookReading) -> [InboundMessage] {
        guard case .batch(let batch) = reading else {
            Issue.record("expected a batch, got \(reading)")
            return []
        }
        return batch.messages
    }

    func item(_ draft: OutboundDraft, to chat: String = "5550001") -> OutboxItem {
        OutboxItem(
            id: 1, customer: "telegram:" + chat, recipient: ChannelIdentity(channel: "telegram", id: chat), phoneNumberID: "7012345678",
            draft: draft, attempts: 0, createdAt: Date())
    }

    // MARK: Reading updates

    @Test func aTextMessageIsTheCustomersWithIdsThatSurviveRedelivery() throws {
        let channel = Self.channel()
        let body = TelegramUpdateBody.text(update: 900_001, chat: 5_550_001, messageID: 42, "我要 refund 退款")
        let read = messages(channel.read(webhook: body, headers: Self.headers, receivedAt: Date()))
        let message = try #require(read.first)
        #expect(read.count == 1)
        #expect(message.id == "telegram:7012345678:900001:message:42")
        #expect(message.customer == "telegram:5550001" && message.channel == "telegram" && message.sender == "5550001")
        #expect(message.customerName == "Kerry Lin")
        #expect(message.phoneNumberID == "7012345678", "the account is the bot's id")
        #expect(message.type == "text" && message.text == "我要 refund 退款" && message.choice == nil && message.replyTo == nil)
        #expect(message.sentAt == Date(timeIntervalSince1970: TimeInterval(TelegramUpdateBody.date)))
        // A redelivery is the same update id: the same message id, a duplicate for the store.
        #expect(messages(channel.read(webhook: body, headers: Self.headers, receivedAt: Date())).first?.id == message.id)
        // The customer's language comes with the update, and the message keeps it.
        #expect(try TelegramUpdate.decode(body, bot: "7012345678").languageCode == "en")
        #expect(message.language == "en")
        #expect(TelegramMessageID(message.id) == .message(bot: "7012345678", update: 900_001, messageID: 42))
    }

    @Test func aButtonPressIsAChoiceWithItsTitleAndTheMessageItBelongsTo() throws {
        let channel = Self.channel()
        let body = TelegramUpdateBody.callback(
            update: 900_002, chat: 5_550_001, query: "4382bfdwdsb323b2d9", data: "size_m", messageID: 117,
            buttons: [("Small", "size_s"), ("Medium", "size_m")])
        let message = try #require(messages(channel.read(webhook: body, headers: Self.headers, receivedAt: Date())).first)
        #expect(message.id == "telegram:7012345678:900002:callback:4382bfdwdsb323b2d9")
        #expect(message.type == "callback_query" && message.choice == "size_m" && message.text == "Medium")
        #expect(message.replyTo == "telegram:5550001:117", "named as send names the bot's message")
        #expect(message.customer == "telegram:5550001")
        #expect(message.language == "en", "the presser's language")
        // A pressed button missing from the keyboard (edited since): its data stands in as the words.
        let stale = TelegramUpdateBody.callback(
            update: 900_003, chat: 5_550_001, query: "q2", data: "gone", messageID: 117, buttons: [("Small", "size_s")])
        #expect(messages(channel.read(webhook: stale, headers: Self.headers, receivedAt: Date())).first?.text == "gone")
    }

    @Test func editsMediaAndServiceMessagesAreRecordedAsTheirKind() throws {
        let channel = Self.channel()
        func read(_ body: [UInt8]) throws -> InboundMessage {
            try #require(messages(channel.read(webhook: body, headers: Self.headers, receivedAt: Date())).first)
        }
        let edited = try read(
            TelegramUpdateBody.message(update: 1, chat: 5_550_002, messageID: 7, fields: ["text": "refund, please"], kind: "edited_message"))
        #expect(edited.type == "edited" && edited.text == "refund, please" && edited.id == "telegram:7012345678:1:edit:7")
        #expect(ConversationPolicy.noticeTypes.contains(edited.type), "an edit is recorded, never answered again")
        #expect(edited.sentAt == Date(timeIntervalSince1970: TimeInterval(TelegramUpdateBody.date + 5)), "the edit's time")

        let photo = try read(
            TelegramUpdateBody.message(
                update: 2, chat: 5_550_002, fields: ["photo": [["file_id": "AgAC", "width": 90, "height": 90]], "caption": "broken lamp"]))
        #expect(photo.type == "photo" && photo.text == "broken lamp")
        let voice = try read(TelegramUpdateBody.message(update: 3, chat: 5_550_002, fields: ["voice": ["file_id": "AwAC", "duration": 3]]))
        #expect(voice.type == "voice" && voice.text == nil)
        let animation = try read(
            TelegramUpdateBody.message(update: 4, chat: 5_550_002, fields: ["animation": ["file_id": "x"], "document": ["file_id": "x"]]))
        #expect(animation.type == "animation")
        let sticker = try read(TelegramUpdateBody.message(update: 5, chat: 5_550_002, fields: ["sticker": ["file_id": "CAAC", "emoji": "👍"]]))
        #expect(sticker.type == "sticker" && sticker.text == nil)
        let pinned = try read(TelegramUpdateBody.message(update: 6, chat: 5_550_002, fields: ["pinned_message": ["message_id": 3]]))
        #expect(pinned.type == "system" && ConversationPolicy.noticeTypes.contains("system"))
    }

    @Test func updatesTheServiceDoesNotReadAreAcceptedEmpty() throws {
        let channel = Self.channel()
        let group = TelegramUpdateBody.message(update: 11, chat: -100_200, fields: ["text": "hi all"], chatType: "supergroup")
        #expect(messages(channel.read(webhook: group, headers: Self.headers, receivedAt: Date())).isEmpty)
        let member = TelegramUpdateBody.encode(["update_id": 12, "my_chat_member": ["chat": ["id": 1, "type": "private"]]])
        #expect(messages(channel.read(webhook: member, headers: Self.headers, receivedAt: Date())).isEmpty)
        #expect(try TelegramUpdate.decode(member, bot: "1").skipped != nil)
    }

    @Test func implausibleDatesBecomeTheReceiptTimeAndAreCounted() throws {
        let channel = Self.channel()
        let now = Date()
        for date in [0, Int(now.timeIntervalSince1970) + 3 * 86_400] {
            let body = TelegramUpdateBody.message(update: 21, chat: 5_550_003, fields: ["text": "hi"], date: date)
            guard case .batch(let batch) = channel.read(webhook: body, headers: Self.headers, receivedAt: now) else {
                Issue.record("expected a batch")
                return
            }
            #expect(batch.unusableTimestamps == 1 && batch.messages.first?.sentAt == now)
        }
    }

    @Test func aMissingOrWrongSecretAndABodyThatIsNoUpdateAreRefused() {
        let channel = Self.channel()
        let body = TelegramUpdateBody.text(update: 31, chat: 5_550_004, "refund")
        guard case .unsigned(let why) = channel.read(webhook: body, headers: [:], receivedAt: Date()) else {
            Issue.record("no secret header must be unsigned")
            return
        }
        #expect(why.contains("X-Telegram-Bot-Api-Secret-Token is missing"))
        guard case .forged(let wrong) = channel.read(webhook: body, headers: ["x-telegram-bot-api-secret-token": "guess"], receivedAt: Date())
        else {
            Issue.record("a wrong secret must be forged")
            return
        }
        #expect(wrong == "X-Telegram-Bot-Api-Secret-Token does not match telegram_webhook_secret" && !wrong.contains(Self.secret))
        for garbage in ["not json", "{\"message\": {\"text\": \"no update id\"}}", "[1, 2]", "{\"update_id\": 1, \"message\": {\"message_id\": 1}}"] {
            guard case .malformed = channel.read(webhook: Array(garbage.utf8), headers: Self.headers, receivedAt: Date()) else {
                Issue.record("\(garbage) must be malformed")
                continue
            }
        }
        #expect(channel.answerHandshake(query: ["hub.mode": "subscribe"]) == .unsupported)
        #expect(channel.replyWindow == nil && channel.messagesPerSecond == 30 && channel.maxWebhookBytes >= 1024 * 1024)
    }

    // MARK: Sending

    @Test func aTextQuotesTheCustomersMessageAndNamesTheSentOne() async throws {
        let fake = try await FakeTelegramServer.start()
        let channel = Self.channel(fake)
        let quoted = TelegramMessageID.message(bot: fake.botID, update: 1, messageID: 42).text
        let outcome = await channel.send(item(.text("Refunds take 5 days.", quoting: quoted)))
        #expect(outcome == .sent(channelMessageID: "telegram:5550001:101"))
        let body = try #require(try await fake.bodies().first)
        #expect((body["chat_id"] as? NSNumber)?.int64Value == 5_550_001 && body["text"] as? String == "Refunds take 5 days.")
        let reply = try #require(body["reply_parameters"] as? [String: Any])
        #expect(reply["message_id"] as? Int == 42 && reply["allow_sending_without_reply"] as? Bool == true)
        // Not a quotable id (a button press, another channel's): sent without a quote.
        #expect(await channel.send(item(.text("Hi", quoting: "wamid.HBgL"))) == .sent(channelMessageID: "telegram:5550001:102"))
        #expect(try await fake.bodies().last?["reply_parameters"] == nil)
    }

    @Test func buttonsAndListsBecomeAnInlineKeyboardWithinTelegramsLimits() async throws {
        let fake = try await FakeTelegramServer.start()
        let channel = Self.channel(fake)
        let long = String(repeating: "x", count: 65)
        let options = [
            Flow.Option(id: "size_s", title: "Small"), Flow.Option(id: "size_m", title: "  "), Flow.Option(id: long, title: "Too long an id"),
            Flow.Option(id: "size_s", title: "Again"), Flow.Option(id: "", title: "No id"), Flow.Option(id: "尺码_大", title: "大号"),
        ]
        #expect(await channel.send(item(.choice(.buttons, "Which size?", options: options))) == .sent(channelMessageID: "telegram:5550001:101"))
        #expect(await channel.send(item(.choice(.list, "", options: options))) == .sent(channelMessageID: "telegram:5550001:102"))
        let bodies = try await fake.bodies()
        let keyboard = try #require((bodies.first?["reply_markup"] as? [String: Any])?["inline_keyboard"] as? [[[String: String]]])
        #expect(
            keyboard == [
                [["text": "Small", "callback_data": "size_s"]], [["text": "size_m", "callback_data": "size_m"]],
                [["text": "大号", "callback_data": "尺码_大"]],
            ])
        #expect(bodies.first?["text"] as? String == "Which size?")
        #expect(bodies.last?["text"] as? String == "Choose", "Telegram refuses an empty text")
        // No option that can be a button: the body goes as plain text.
        _ = await channel.send(item(.choice(.buttons, "Which size?", options: [Flow.Option(id: long, title: "x")])))
        #expect(try await fake.bodies().last?["reply_markup"] == nil)
    }

    @Test func aReadReceiptAnswersAButtonPressAndIsOtherwiseNoCall() async throws {
        let fake = try await FakeTelegramServer.start()
        let channel = Self.channel(fake)
        let press = TelegramMessageID.callback(bot: fake.botID, update: 5, queryID: "4382bfdwdsb323b2d9").text
        #expect(await channel.send(item(.read(press))) == .sent(channelMessageID: nil))
        #expect(
            await channel.send(item(.read(TelegramMessageID.message(bot: fake.botID, update: 6, messageID: 9).text))) == .sent(channelMessageID: nil))
        let calls = try await fake.calls()
        #expect(calls.count == 1 && calls.first?["method"] as? String == "answerCallbackQuery")
        #expect((calls.first?["body"] as? [String: Any])?["callback_query_id"] as? String == "4382bfdwdsb323b2d9")
        guard case .failed(let template) = await channel.send(item(OutboundDraft(kind: .template, body: "{}"))),
            case .failed = await channel.send(item(OutboundDraft(kind: .webhook, body: "{}", context: "https://crm.example.com")))
        else {
            Issue.record("templates and webhooks are no Telegram messages")
            return
        }
        #expect(template.contains("no message templates"))
    }

    @Test func telegramsErrorsBecomeWaitRetryFailUnreachableAndRejectedCredentials() async throws {
        let fake = try await FakeTelegramServer.start()
        let channel = Self.channel(fake)
        let text = item(.text("Refunds take 5 days."))
        try await fake.control(["script": [["mode": "error", "code": 429, "retry_after": 7]]])
        #expect(await channel.send(text) == .retryAfter(7, "sendMessage: 429 Too Many Requests: retry after 7"))
        try await fake.control(["script": [["mode": "error", "code": 502]]])
        #expect(await channel.send(text) == .retry("sendMessage: 502 Bad Gateway"))
        try await fake.control(["blocked": ["5550009"]])
        #expect(await channel.send(item(.text("Hi"), to: "5550009")) == .unreachable("sendMessage: 403 Forbidden: bot was blocked by the user"))
        #expect(await channel.send(item(.text("Hi"), to: "-5")) == .failed("sendMessage: 400 Bad Request: chat not found"))

        // The flood limit: a burst to one chat, then 429 with Telegram's wait (the bucket does not
        // refill during the test, however slowly a busy machine sends).
        try await fake.control(["chat_burst": 2, "chat_refill": 0])
        var outcomes: [SendOutcome] = []
        for _ in 0..<10 { outcomes.append(await channel.send(item(.text("Hi"), to: "5550010"))) }
        #expect(outcomes.prefix(2).allSatisfy { if case .sent = $0 { true } else { false } })
        let waits = outcomes.compactMap { if case .retryAfter(let wait, _) = $0 { wait } else { nil } }
        #expect(!waits.isEmpty && waits.allSatisfy { $0 >= 1 }, "\(outcomes)")
    }

    @Test func aRefusedTokenIsReportedByItsSettingNeverItsValue() async throws {
        let fake = try await FakeTelegramServer.start()
        let wrong = "7012345678:AAHwrong-token_value"
        let outcome = await Self.channel(fake, token: wrong).send(item(.text("Hi")))
        guard case .credentialsRejected(let reason, let detail) = outcome else {
            Issue.record("a wrong token must reject the credentials: \(outcome)")
            return
        }
        #expect(reason.contains("telegram_bot_token") && detail == "sendMessage: 401 Unauthorized")
        #expect(!"\(outcome)".contains("AAHwrong") && !"\(outcome)".contains(fake.token))
        // A token of another shape gets Telegram's 404; no answer at all names no URL either.
        let shapeless = await Self.channel(fake, token: "not-a-token").send(item(.text("Hi")))
        guard case .credentialsRejected(let why, _) = shapeless else {
            Issue.record("a 404 for the bot's methods must reject the credentials: \(shapeless)")
            return
        }
        #expect(why.contains("telegram_api_url"))
        let nowhere = TelegramChannel(
            settings: TelegramSettings(botToken: wrong, webhookSecret: Self.secret, apiURL: "http://127.0.0.1:1"), transport: CurlHTTPClient())
        let unanswered = await nowhere.send(item(.text("Hi")))
        guard case .retry(let why) = unanswered else {
            Issue.record("no answer must be retried: \(unanswered)")
            return
        }
        #expect(why.hasPrefix("sendMessage: no answer: ") && !why.contains("AAHwrong") && !why.contains("/bot"), "\(why)")
    }
}
