package import Foundation
import IntentCore
package import IntentHTTP

/// The WhatsApp Cloud API as a `ChatChannel`: webhooks signed with the app secret
/// (`X-Hub-Signature-256`), read by `WebhookPayload`; sends through the Graph API (`GraphAPI`)
/// on a libcurl transport of its own, with Meta's error codes sorted into retry, fail and
/// rejected credentials.
package struct WhatsAppChannel: ChatChannel {
    package let settings: WhatsAppSettings
    let graph: GraphAPI
    let transport: any HTTPTransport
    let signature: WebhookSignature

    package var name: String { ChannelIdentity.whatsapp }
    package var messagesPerSecond: Double { settings.messagesPerSecond }
    /// Meta's customer service window: free-form messages only within 24 hours of the customer's last.
    package var replyWindow: TimeInterval? { 24 * 3_600 }
    package var maxTextLength: Int { GraphAPI.maxTextLength }
    package var choiceTextLimit: (length: Int, measure: TextMeasure)? { (InteractiveLimits.maxInteractiveBody, .unicodeScalars) }

    package init(settings: WhatsAppSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
        graph = GraphAPI(baseURL: settings.graphURL, accessToken: settings.accessToken)
        signature = WebhookSignature(appSecret: settings.appSecret)
    }

    /// The runtime's settings from the WhatsApp ones (retention, first retry).
    package var runtimeSettings: ChannelRuntime.Settings {
        ChannelRuntime.Settings(retentionDays: settings.retentionDays, firstRetryDelay: settings.firstRetryDelay)
    }

    /// Meta batches several messages in one delivery, each up to 4,096 characters escaped as
    /// \uXXXX (six bytes each): far more than a `/match` body.
    package var maxWebhookBytes: Int { 4 * 1024 * 1024 }

    /// Meta's subscription handshake: `hub.mode=subscribe`, the configured verify token, and
    /// the challenge to echo.
    package func answerHandshake(query: [String: String]) -> Handshake {
        MetaHandshake.answer(query: query, verifyToken: settings.verifyToken, setting: "whatsapp_verify_token")
    }

    package func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
        switch signature.verify(body: body, header: headers["x-hub-signature-256"]) {
        case .missing: return .unsigned("X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret")
        case .invalid: return .forged("X-Hub-Signature-256 does not match the body under whatsapp_app_secret")
        case .valid: break
        }
        do {
            let payload = try WebhookPayload.decode(body, phoneNumberID: settings.phoneNumberID, receivedAt: receivedAt)
            return .batch(InboundBatch(messages: payload.messages, statuses: payload.statuses, unusableTimestamps: payload.unusableTimestamps))
        } catch {
            return .malformed("\(error)")
        }
    }

    package func send(_ item: OutboxItem) async -> SendOutcome {
        var item = item
        // A webhook without metadata names no business number: answer from the configured one.
        if item.phoneNumberID.isEmpty, let configured = settings.phoneNumberID { item.phoneNumberID = configured }
        // A flow's webhook call is the runtime's to make: nothing goes to Meta for it.
        guard let request = graph.request(for: item) else {
            if item.draft.kind == .template { return .failed("the template's stored body does not read as a template message; nothing was sent") }
            return .failed("a \(item.draft.kind.rawValue) item is not a WhatsApp message; the channel sends none")
        }
        let outcome: GraphAPI.Outcome
        do {
            outcome = GraphAPI.outcome(of: try await transport.send(request))
        } catch {
            outcome = .failed(GraphError(status: nil, code: nil, detail: "\(error)", trace: nil))
        }
        switch outcome {
        case .sent(let id):
            return .sent(channelMessageID: id)
        case .failed(let error) where error.isTokenInvalid:
            return .credentialsRejected(
                "the WhatsApp access token was rejected (code 190): replace whatsapp_access_token", detail: error.description)
        case .failed(let error):
            return error.isRetryable ? .retry(error.description) : .failed(error.description)
        }
    }
}
