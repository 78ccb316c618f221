import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport
import Testing

/// `intent-service telegram set-webhook` and `webhook-info` through the binary, against the fake Bot API.
@Suite struct TelegramCommandTests {
    let cli = MatchCommandTests()
    static let token = "7012345678:AAHcommand-test_token"

    /// The fake Bot API and the environment pointing the command at it.
    func fake() async throws -> (fake: FakeTelegramServer, environment: [String: String]) {
        let fake = try await FakeTelegramServer.start(token: Self.token)
        return (
            fake,
            [
                "INTENT_TELEGRAM_BOT_TOKEN": Self.token, "INTENT_TELEGRAM_WEBHOOK_SECRET": "hook_secret-1",
                "INTENT_TELEGRAM_API_URL": fake.base,
            ]
        )
    }

    @Test func setWebhookRegistersTheURLWithTheSecretAndTheUpdatesRead() async throws {
        let (fake, environment) = try await fake()
        let set = try await cli.run(["telegram", "set-webhook", "https://bot.example.com/webhooks/telegram"], environment: environment)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout == "Webhook was set\n" && set.stderr.isEmpty)
        let again = try await cli.run(["telegram", "set-webhook", "https://bot.example.com/webhooks/telegram"], environment: environment)
        #expect(again.stdout == "Webhook is already set\n")

        let sent = try await fake.calls()
        let body = try #require(sent.first?["body"] as? [String: Any])
        #expect(sent.first?["method"] as? String == "setWebhook")
        #expect(body["url"] as? String == "https://bot.example.com/webhooks/telegram" && body["secret_token"] as? String == "hook_secret-1")
        #expect(body["allowed_updates"] as? [String] == ["message", "edited_message", "callback_query"])

        let info = try await cli.run(["telegram", "webhook-info"], environment: environment)
        #expect(info.status == 0, "\(info.stderr)")
        let object = try cli.decode(Substring(info.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(object["url"] as? String == "https://bot.example.com/webhooks/telegram" && object["pending_update_count"] as? Int == 0)
        #expect(!info.stdout.contains("hook_secret-1"))
    }

    @Test func refusalsAreClearAndNeverShowTheToken() async throws {
        let (fake, environment) = try await fake()
        defer { withExtendedLifetime(fake) {} }
        let plain = try await cli.run(["telegram", "set-webhook", "http://bot.example.com/webhooks/telegram"], environment: environment)
        #expect(plain.status == 1 && plain.stdout.isEmpty)
        #expect(plain.stderr.contains("telegram: setWebhook refused: 400 Bad Request: bad webhook: An HTTPS URL must be provided for webhook"))

        let wrong = environment.merging(["INTENT_TELEGRAM_BOT_TOKEN": "7012345678:AAHsomeone-else"]) { $1 }
        let refused = try await cli.run(["telegram", "set-webhook", "https://bot.example.com/webhooks/telegram"], environment: wrong)
        #expect(refused.status == 1 && refused.stderr.contains("401 Unauthorized (check INTENT_TELEGRAM_BOT_TOKEN)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("AAHsomeone-else") && !refused.stdout.contains("AAHsomeone-else"))

        let nowhere = environment.merging(["INTENT_TELEGRAM_API_URL": "http://127.0.0.1:1"]) { $1 }
        let unanswered = try await cli.run(["telegram", "webhook-info"], environment: nowhere)
        #expect(unanswered.status == 1 && unanswered.stderr.contains("getWebhookInfo: no answer"), "\(unanswered.stderr)")
        #expect(!unanswered.stderr.contains(Self.token) && !unanswered.stderr.contains("/bot"))

        let unset = try await cli.run(["telegram", "webhook-info"], environment: ["INTENT_TELEGRAM_BOT_TOKEN": Self.token])
        #expect(unset.status == 2 && unset.stderr.contains("needs INTENT_TELEGRAM_WEBHOOK_SECRET"), "\(unset.stderr)")
        #expect(!unset.stderr.contains(Self.token))
    }
}
