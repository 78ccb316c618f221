import Foundation
package import IntentHTTP

/// The Messenger Platform's Send API, `POST {graph}/{page_id or instagram_account_id}/messages`,
/// for text, quick replies and read receipts, and its answers: `{"recipient_id", "message_id"}`,
/// or Meta's error envelope (`GraphError`).
package struct SendAPI: Sendable {
    package var baseURL: String
    let accessToken: String
    let platform: MessengerSettings.Platform
    package var timeout: Duration

    /// Meta's limits on quick replies: at most 13, titles of 20 characters, payloads of 1,000.
    package static let maxQuickReplies = 13
    package static let maxQuickReplyTitle = 20
    package static let maxPayload = 1_000

    package init(baseURL: String, accessToken: String, platform: MessengerSettings.Platform, timeout: Duration = .seconds(15)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accessToken = accessToken
        self.platform = platform
        self.timeout = timeout
    }

    /// The call that sends the item from `account`, or nil for an item that is not a Messenger
    /// Platform message (a template, a flow's webhook call).
    ///
    /// A read receipt is `sender_action: mark_seen` (Meta marks the conversation's latest
    /// message seen: the receipt's message id is not sent). `buttons` and `list` go as the text
    /// with quick replies: at most 13 (the first ones), titles cut to 20 characters at a
    /// character boundary and ended with "…"; options whose id is empty, repeated or longer than
    /// a payload may be (1,000) are left out, since a cut id would not come back as the
    /// option's. A blank body becomes "Choose" (in Chinese when the options are). The Send API
    /// has no quoting of the customer's message: `context` is not sent. The text goes as it is:
    /// the runtime split a long one before queuing (`MessageSplitter`), and refuses to send one
    /// still over the platform's limit rather than cut it.
    ///
    /// Everything goes as `messaging_type: RESPONSE` except a person's reply, which carries
    /// `MESSAGE_TAG` with `tag: HUMAN_AGENT`: Meta lets a person answer up to 7 days after the
    /// customer's last message with it, where automated messages stop at 24 hours.
    package func request(for item: OutboxItem, from account: String) -> HTTPRequestSpec? {
        let recipient = ["id": item.recipient.id]
        let draft = item.draft
        switch draft.kind {
        case .webhook, .template:
            return nil
        case .read:
            return request(["recipient": recipient, "sender_action": "mark_seen"], account: account)
        case .text, .buttons, .list:
            let quickReplies = draft.kind == .text ? [] : Self.quickReplies(draft.options)
            var message: [String: Any] = ["text": Self.text(of: draft)]
            if !quickReplies.isEmpty { message["quick_replies"] = quickReplies }
            var object: [String: Any] = ["recipient": recipient, "message": message]
            if case .agent = draft.origin {
                object["messaging_type"] = "MESSAGE_TAG"
                object["tag"] = "HUMAN_AGENT"
            } else {
                object["messaging_type"] = "RESPONSE"
            }
            return request(object, account: account)
        }
    }

    /// The message's text: the draft's body, or a label when a choice has none (Meta refuses an
    /// empty text).
    static func text(of draft: OutboundDraft) -> String {
        guard draft.kind != .text, !quickReplies(draft.options).isEmpty, draft.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return draft.body }
        return InteractiveLimits.labels(for: draft.options.map(\.title).joined()).button
    }

    /// The `quick_replies` of a choice, within Meta's limits.
    static func quickReplies(_ options: [Flow.Option]) -> [[String: String]] {
        var seen: Set<String> = []
        var replies: [[String: String]] = []
        for option in options where replies.count < maxQuickReplies {
            guard !option.id.isEmpty, InteractiveLimits.length(of: option.id) <= maxPayload, seen.insert(option.id).inserted else { continue }
            let title = option.title.trimmingCharacters(in: .whitespacesAndNewlines)
            replies.append([
                "content_type": "text", "title": InteractiveLimits.cut(title.isEmpty ? option.id : title, to: maxQuickReplyTitle),
                "payload": option.id,
            ])
        }
        return replies
    }

    private func request(_ object: [String: Any], account: String) -> HTTPRequestSpec {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return HTTPRequestSpec(
            method: "POST", url: "\(baseURL)/\(account)/messages",
            headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")], body: Array(body), timeout: timeout)
    }

    /// What one call came to.
    package enum Outcome: Sendable, Equatable {
        /// Accepted; the id Meta gave the message (nil for a sender action).
        case sent(messageID: String?)
        case failed(GraphError)
    }

    /// A message is answered `{"recipient_id", "message_id"}`, a sender action
    /// `{"recipient_id"}`; anything else is Meta's error envelope.
    package static func outcome(of response: HTTPResponseData) -> Outcome {
        guard (200..<300).contains(response.status) else { return .failed(GraphError(refusal: response)) }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        if let id = object?["message_id"] as? String, !id.isEmpty { return .sent(messageID: id) }
        if object?["recipient_id"] != nil { return .sent(messageID: nil) }
        return .failed(GraphError(status: response.status, code: nil, detail: "a 2xx answer without a message_id or recipient_id", trace: nil))
    }

    /// Codes worth another try: temporary errors (1, 2), the app's and the page's rate limits
    /// (4, 613; also 17 and 32, the user's and the page's request limits).
    package static let retryableCodes: Set<Int> = [1, 2, 4, 17, 32, 613]

    /// What a refusal means for the item: the codes above and 5xx, 429 or no answer at all are
    /// temporary; 190 is the token; 551 (the person is not available) and 100 with subcode
    /// 2018001 (no matching user: they deleted their account, or blocked the page) are the
    /// customer, for good; anything else (10: outside the allowed window or not permitted, 100:
    /// an invalid parameter) fails this message.
    package enum Verdict: Sendable, Equatable {
        case retry, failed, unreachable, credentials
    }

    package static func verdict(_ error: GraphError) -> Verdict {
        if error.isTokenInvalid { return .credentials }
        if let code = error.code {
            if retryableCodes.contains(code) { return .retry }
            if code == 551 || (code == 100 && error.subcode == 2_018_001) { return .unreachable }
        }
        guard let status = error.status else { return .retry }  // no answer at all: the network, try again
        return status >= 500 || status == 429 ? .retry : .failed
    }
}
