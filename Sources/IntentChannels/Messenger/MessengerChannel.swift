package import Foundation
package import IntentHTTP

/// Facebook Messenger or Instagram direct messages as a `ChatChannel`: both are Meta's Messenger
/// Platform, so one type serves either, named by its settings' `platform` (`messenger`,
/// `instagram`). Webhooks are signed with the app secret (`X-Hub-Signature-256`, as WhatsApp's)
/// and read by `MessagingWebhook`; sends go through the Send API (`SendAPI`) on a libcurl
/// transport of its own, with Meta's error codes sorted into retry, fail, unreachable customer
/// and rejected credentials.
package struct MessengerChannel: ChatChannel {
    package let settings: MessengerSettings
    let api: SendAPI
    let transport: any HTTPTransport
    let signature: WebhookSignature

    package var name: String { settings.platform.name }
    package var messagesPerSecond: Double { settings.messagesPerSecond }
    /// Messenger 2,000 characters, Instagram 1,000.
    package var maxTextLength: Int { settings.platform.maxTextLength }
    /// Meta's standard messaging window: automated messages within 24 hours of the customer's last.
    package var replyWindow: TimeInterval? { 24 * 3_600 }
    /// A person may answer for 7 days, with the `HUMAN_AGENT` tag.
    package var agentReplyWindow: TimeInterval? { 7 * 24 * 3_600 }
    /// Meta batches events in one delivery, as for WhatsApp.
    package var maxWebhookBytes: Int { 4 * 1024 * 1024 }

    package init(settings: MessengerSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
        api = SendAPI(baseURL: settings.graphURL, accessToken: settings.accessToken, platform: settings.platform)
        signature = WebhookSignature(appSecret: settings.appSecret)
    }

    /// The runtime's settings from the channel's (retention, first retry).
    package var runtimeSettings: ChannelRuntime.Settings {
        ChannelRuntime.Settings(retentionDays: settings.retentionDays, firstRetryDelay: settings.firstRetryDelay)
    }

    package func answerHandshake(query: [String: String]) -> Handshake {
        MetaHandshake.answer(query: query, verifyToken: settings.verifyToken, setting: settings.platform.verifyTokenSetting)
    }

    package func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
        switch signature.verify(body: body, header: headers["x-hub-signature-256"]) {
        case .missing: return .unsigned("X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret")
        case .invalid: return .forged("X-Hub-Signature-256 does not match the body under \(settings.platform.appSecretSetting)")
        case .valid: break
        }
        do {
            let payload = try MessagingWebhook.decode(body, platform: settings.platform, accountID: settings.accountID, receivedAt: receivedAt)
            return .batch(InboundBatch(messages: payload.messages, statuses: payload.statuses, unusableTimestamps: payload.unusableTimestamps))
        } catch {
            return .malformed(error.description)
        }
    }

    /// Sends the item in one call.
    package func send(_ item: OutboxItem) async -> SendOutcome {
        guard let request = api.request(for: item, from: settings.accountID) else {
            return .failed("a \(item.draft.kind.rawValue) item is not a \(settings.platform.title) message; the channel sends none")
        }
        switch await call(request) {
        case .sent(let id): return .sent(channelMessageID: id)
        case .failed(let error): return outcome(of: error)
        }
    }

    private func call(_ request: HTTPRequestSpec) async -> SendAPI.Outcome {
        do {
            return SendAPI.outcome(of: try await transport.send(request))
        } catch {
            return .failed(GraphError(status: nil, code: nil, detail: "\(error)", trace: nil))
        }
    }

    private func outcome(of error: GraphError) -> SendOutcome {
        switch SendAPI.verdict(error) {
        case .retry: return .retry(error.description)
        case .failed: return .failed(error.description)
        case .unreachable: return .unreachable(error.description)
        case .credentials:
            let platform = settings.platform
            return .credentialsRejected(
                "the \(platform.title) access token was rejected (code 190): replace \(platform.accessTokenSetting)", detail: error.description)
        }
    }
}
