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

    package var name: String { "whatsapp" }

    package init(settings: WhatsAppSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
        graph = GraphAPI(baseURL: settings.graphURL, accessToken: settings.accessToken)
        signature = WebhookSignature(appSecret: settings.appSecret)
    }

    /// The runtime's settings from the WhatsApp ones (`whatsapp_rate`, retention, first retry).
    package var runtimeSettings: ChannelRuntime.Settings {
        ChannelRuntime.Settings(
            messagesPerSecond: settings.messagesPerSecond, retentionDays: settings.retentionDays, firstRetryDelay: settings.firstRetryDelay)
    }

    /// Meta's subscription handshake: the challenge to echo, or nil (403).
    package func verify(mode: String?, token: String?, challenge: String?) -> String? {
        guard mode == "subscribe", let token, let challenge, ConstantTime.equal(token, settings.verifyToken) else { return nil }
        return challenge
    }

    package func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
        switch signature.verify(body: body, header: headers["x-hub-signature-256"]) {
        case .missing: return .unsigned
        case .invalid: return .forged
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
        let outcome: GraphAPI.Outcome
        do {
            outcome = GraphAPI.outcome(of: try await transport.send(graph.request(for: item)))
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
