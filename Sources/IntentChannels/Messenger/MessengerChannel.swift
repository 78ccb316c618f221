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
    /// How long a later part of a long text waits before its next try, each time (see `send`).
    let partRetryDelays: [Duration]

    package var name: String { settings.platform.name }
    package var messagesPerSecond: Double { settings.messagesPerSecond }
    /// Meta's standard messaging window: automated messages within 24 hours of the customer's last.
    package var replyWindow: TimeInterval? { 24 * 3_600 }
    /// A person may answer for 7 days, with the `HUMAN_AGENT` tag.
    package var agentReplyWindow: TimeInterval? { 7 * 24 * 3_600 }
    /// Meta batches events in one delivery, as for WhatsApp.
    package var maxWebhookBytes: Int { 4 * 1024 * 1024 }

    package init(settings: MessengerSettings, transport: any HTTPTransport, partRetryDelays: [Duration] = [.seconds(1), .seconds(2)]) {
        self.settings = settings
        self.transport = transport
        self.partRetryDelays = partRetryDelays
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

    /// Sends the item's calls in order. A text split in parts is one item: when the first part
    /// fails, nothing reached the customer and the item's outcome is that part's; once a part
    /// went, the item is never sent again (the customer would get that part twice), so a later
    /// part meeting a temporary error is tried again here (after 1 s, then 2 s) and otherwise
    /// fails the item, saying which parts went. The item's message id is its last part's, the
    /// one that carries the quick replies.
    package func send(_ item: OutboxItem) async -> SendOutcome {
        guard let requests = api.requests(for: item, from: settings.accountID) else {
            return .failed("a \(item.draft.kind.rawValue) item is not a \(settings.platform.title) message; the channel sends none")
        }
        var sentIDs: [String] = []
        var lastID: String?
        for (index, request) in requests.enumerated() {
            var result = await call(request)
            var retries = partRetryDelays[...]
            while index > 0, case .failed(let error) = result, SendAPI.verdict(error) == .retry, let delay = retries.popFirst() {
                try? await Task.sleep(for: delay)
                result = await call(request)
            }
            switch result {
            case .sent(let id):
                lastID = id
                if let id { sentIDs.append(id) }
            case .failed(let error):
                let outcome = outcome(of: error)
                guard index > 0 else { return outcome }
                if case .credentialsRejected = outcome { return outcome }
                return .failed(
                    "part \(index + 1) of \(requests.count) was not sent after the first \(index) went (\(sentIDs.joined(separator: ", "))): \(error)"
                )
            }
        }
        return .sent(channelMessageID: lastID)
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
