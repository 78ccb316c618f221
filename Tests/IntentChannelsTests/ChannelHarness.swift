import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// One test's runtime around one channel, end to end in process: webhooks in as the platform
/// signs them, a SQLite store in a folder of the test's own (removed with the harness), replies
/// out to the fake API, and the runtime's clock: the real one, `offset` ahead (tests move it on).
final class ChannelHarness<Channel: ChatChannel, API: FakeAPI>: Sendable {
    /// What a test changes around the runtime; the rest is the same for every channel's tests.
    struct Options: Sendable {
        var automation: Automation = .none
        var flows = FlowLibrary()
        var flowWebhook = FlowWebhook(secret: nil)
        var webhookTransport: (any HTTPTransport)?
        /// The shop system the flows' webhook steps call, kept running with the harness.
        var crm: FakeCRMServer?
        var pick: ChannelRuntime.Pick = { _, _, _ in BotAnswer(answer: nil, chosen: false) }
        var decide: ChannelRuntime.Decide
        /// Puts a store of the test's between the runtime and the SQLite store.
        var wrap: @Sendable (SQLiteStateStore) -> any ConversationStore = { $0 }
        var firstRetryDelay: TimeInterval = 0.05
        /// `settle` waits for nothing due within this of the clock (later items wait for the
        /// test to move the clock on); nil: for an empty outbox.
        var settledWithin: TimeInterval?

        init(decide: @escaping ChannelRuntime.Decide) { self.decide = decide }
    }

    let runtime: ChannelRuntime
    let channel: Channel
    let store: SQLiteStateStore
    let fake: API
    let crm: FakeCRMServer?
    let offset = Locked<TimeInterval>(0)
    let folder: TemporaryDirectory
    /// The headers the platform sends with a webhook body: its signature or its secret.
    private let signed: @Sendable ([UInt8]) -> [String: String]
    private let settledWithin: TimeInterval?

    /// - Parameter channel: the channel, made with `options.firstRetryDelay`.
    init(
        channel: (_ firstRetryDelay: TimeInterval) -> Channel, runtimeSettings: (Channel) -> ChannelRuntime.Settings, fake: API,
        signed: @escaping @Sendable ([UInt8]) -> [String: String], options: Options
    ) throws {
        folder = try TemporaryDirectory("channel")
        store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        self.channel = channel(options.firstRetryDelay)
        self.fake = fake
        self.signed = signed
        crm = options.crm
        settledWithin = options.settledWithin
        let offset = self.offset
        runtime = ChannelRuntime(
            channel: self.channel, settings: runtimeSettings(self.channel), store: options.wrap(store),
            policy: ConversationPolicy(automation: options.automation, fallbackReply: "Sorry, I did not get that."), logger: Logger(label: "test"),
            flows: options.flows, flowWebhook: options.flowWebhook, webhookTransport: options.webhookTransport,
            clock: { Date().addingTimeInterval(offset.current) }, pick: options.pick, decide: options.decide)
    }

    var now: Date { Date().addingTimeInterval(offset.current) }

    /// Delivers a webhook body as the platform does, signed.
    func post(_ body: [UInt8]) async -> ChannelRuntime.Receipt {
        await runtime.receive(body: body, headers: signed(body))
    }

    /// Waits until every received message is processed and the outbox is settled (see
    /// `Options.settledWithin`): what was going to be sent has been, so counting the sends now is
    /// final. The limit guards against a hang, it is no timing.
    func settle() async throws {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if try await store.unprocessed(limit: 1).isEmpty, try await outboxSettled() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the channel did not settle within 180 s")
    }

    private func outboxSettled() async throws -> Bool {
        guard let due = try await store.nextOutboxDue() else { return true }
        guard let settledWithin else { return false }
        return due > now.addingTimeInterval(settledWithin)
    }
}

typealias WhatsAppHarness = ChannelHarness<WhatsAppChannel, FakeGraphServer>
typealias MessengerHarness = ChannelHarness<MessengerChannel, FakeMessengerServer>
typealias TelegramHarness = ChannelHarness<TelegramChannel, FakeTelegramServer>

extension ChannelHarness where Channel == WhatsAppChannel, API == FakeGraphServer {
    /// WhatsApp against the fake Graph API, webhooks signed with `secret`.
    static func whatsApp(secret: String, token: String? = nil, businessAccountID: String? = nil, _ options: Options) async throws -> Self {
        let graph = try await FakeGraphServer.start()
        return try Self(
            channel: { firstRetryDelay in
                var settings = WhatsAppSettings(
                    verifyToken: "verify-me", appSecret: secret, accessToken: token ?? graph.token, businessAccountID: businessAccountID,
                    graphURL: graph.base)
                settings.firstRetryDelay = firstRetryDelay
                return WhatsAppChannel(settings: settings, transport: CurlHTTPClient())
            }, runtimeSettings: \.runtimeSettings, fake: graph,
            signed: { ["x-hub-signature-256": WebhookSignature(appSecret: secret).header(for: $0)] }, options: options)
    }
}

extension ChannelHarness where Channel == MessengerChannel, API == FakeMessengerServer {
    /// Messenger or Instagram against the fake Send API, webhooks signed with `secret`.
    static func messenger(_ platform: MessengerSettings.Platform = .messenger, secret: String, _ options: Options) async throws -> Self {
        let account = platform == .messenger ? "104000000000001" : "17841400000000001"
        let fake = try await FakeMessengerServer.start(platform: platform, account: account)
        return try Self(
            channel: { firstRetryDelay in
                var settings = MessengerSettings(
                    platform: platform, verifyToken: "verify-me", appSecret: secret, accountID: account, accessToken: fake.token,
                    graphURL: fake.base)
                settings.firstRetryDelay = firstRetryDelay
                return MessengerChannel(settings: settings, transport: CurlHTTPClient())
            }, runtimeSettings: \.runtimeSettings, fake: fake,
            signed: { ["x-hub-signature-256": WebhookSignature(appSecret: secret).header(for: $0)] }, options: options)
    }
}

extension ChannelHarness where Channel == TelegramChannel, API == FakeTelegramServer {
    /// Telegram against the fake Bot API, webhooks carrying `secret` as Telegram sends it.
    static func telegram(secret: String, _ options: Options) async throws -> Self {
        let fake = try await FakeTelegramServer.start()
        return try Self(
            channel: { firstRetryDelay in
                var settings = TelegramSettings(botToken: fake.token, webhookSecret: secret, apiURL: fake.base)
                settings.firstRetryDelay = firstRetryDelay
                return TelegramChannel(settings: settings, transport: CurlHTTPClient())
            }, runtimeSettings: \.runtimeSettings, fake: fake, signed: { _ in ["x-telegram-bot-api-secret-token": secret] },
            options: options)
    }
}
