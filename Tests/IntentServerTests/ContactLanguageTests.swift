import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentServer

/// The language a Telegram customer's app reports (`from.language_code`) picks the answer's
/// language when the message's words tell none: the matcher itself (`BotAnswerer`, as the service
/// wires it) against the fake Bot API.
@Suite struct ContactLanguageTests {
    static let secret = "hook-secret_\(UUID().uuidString.prefix(8))"
    static let botToken = "7012345678:AAH\(UUID().uuidString.prefix(12).replacingOccurrences(of: "-", with: "x"))"

    static func update(_ id: Int64, chat: Int64, _ text: String, language: String) -> [UInt8] {
        let message: [String: Any] = [
            "message_id": id, "from": ["id": chat, "is_bot": false, "first_name": "Ana", "language_code": language],
            "chat": ["id": chat, "type": "private", "first_name": "Ana"], "date": Int(Date().timeIntervalSince1970), "text": text,
        ]
        return Array(try! JSONSerialization.data(withJSONObject: ["update_id": id, "message": message]))
    }

    @Test func anUndetectableMessageIsAnsweredInTheLanguageOfTheCustomersApp() async throws {
        let folder = try TemporaryDirectory("contact-language")
        let fake = try await FakeTelegramServer.start(token: Self.botToken)
        let app = IntentServerApp(settings: IntentServerApp.Settings(), logger: Logger(label: "test")) {
            MatchService(
                try await Matcher.build(
                    corpus: Corpus(entries: [
                        FAQEntry(id: "thanks", questions: ["ok", "okay thank you"], answer: "You're welcome.", answers: ["es": "¡De nada!"]),
                        FAQEntry(id: "refund", questions: ["I want my money back", "refund please"], answer: "Refunds take 5 days."),
                    ]), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let telegram = TelegramChannel(
            settings: TelegramSettings(botToken: Self.botToken, webhookSecret: Self.secret, apiURL: fake.base),
            transport: CurlHTTPClient())
        let answerer = app.answerer
        let runtime = ChannelRuntime(
            channel: telegram, settings: telegram.runtimeSettings, store: store,
            policy: ConversationPolicy(automation: .none, fallbackReply: "Sorry?"), logger: Logger(label: "test"),
            decide: answerer.answer(to:from:rulesOnly:language:))
        let run = Task { await runtime.run() }
        defer { run.cancel() }
        #expect(LanguageDetector.language(of: "ok") == nil, "the words tell no language")

        let headers = ["x-telegram-bot-api-secret-token": Self.secret]
        #expect(
            await runtime.receive(body: Self.update(1, chat: 5_550_201, "ok", language: "es"), headers: headers)
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        #expect(
            await runtime.receive(body: Self.update(2, chat: 5_550_202, "ok", language: "en-US"), headers: headers)
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        try await eventually("both answered") {
            let spanish = try await fake.texts(to: 5_550_201)
            let english = try await fake.texts(to: 5_550_202)
            return !spanish.isEmpty && !english.isEmpty
        }
        #expect(try await fake.texts(to: 5_550_201) == ["¡De nada!"])
        #expect(try await fake.texts(to: 5_550_202) == ["You're welcome."])
        // The contact keeps the language, for flows (`{{contact.language}}`) and the next message.
        #expect(try await store.conversation(customer: "telegram:5550201")?.attributes["language"] == "es")
        #expect(try await store.conversation(customer: "telegram:5550202")?.attributes["language"] == "en")
        // Words that tell their language win: an English question from the Spanish app is answered in English.
        #expect(LanguageDetector.language(of: "okay thank you") == "en")
        #expect(
            await runtime.receive(body: Self.update(3, chat: 5_550_201, "okay thank you", language: "es"), headers: headers)
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        try await eventually("answered again") { try await fake.texts(to: 5_550_201).count == 2 }
        #expect(try await fake.texts(to: 5_550_201).last == "You're welcome.")
    }
}
