import Foundation
package import IntentHTTP

/// The WhatsApp Cloud API's send endpoint, `POST {graph}/{phone_number_id}/messages`, for text
/// replies, interactive messages, templates and read receipts, and its error envelope.
package struct GraphAPI: Sendable {
    package var baseURL: String
    let accessToken: String
    package var timeout: Duration

    package init(baseURL: String, accessToken: String, timeout: Duration = .seconds(15)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accessToken = accessToken
        self.timeout = timeout
    }

    /// The longest text body the API accepts.
    package static let maxTextLength = 4_096

    /// The request that sends the item, or nil for an item that is not a message of this channel
    /// (a flow's `webhook` call, which the runtime makes itself) or a template whose stored body
    /// does not read.
    ///
    /// Text goes as `type: text`; `buttons` and `list` go as `type: interactive` reply buttons or
    /// a list, with the quoted message (`context`) as for text. Their options can come from a
    /// flow file, checked against Meta's limits when it was read, or from elsewhere (FAQ
    /// questions offered as a choice), so the builder keeps within the limits itself
    /// (`InteractiveLimits`): at most 3 buttons or 10 rows (the first ones), titles cut to 20
    /// (buttons) or 24 (rows) characters and the body to 1,024 (the runtime's `ReplySplitter` already
    /// sends a longer body's start as text messages; the cut is for drafts that bypassed it), each cut at a character boundary
    /// and ended with "…" (a title the cut made the same as an earlier one ends with a number
    /// instead, " 2", " 3": Meta wants them distinct); options whose id is empty, repeated or too long (256 for a button,
    /// 200 for a row) are left out, since a cut id would not come back as the option's. Without
    /// any option left the body goes as a text message; a blank body becomes the list's label.
    /// A `template` goes as `type: template`, with its body's parameters (`GraphAPI+Templates`).
    package func request(for item: OutboxItem) -> HTTPRequestSpec? {
        var object: [String: Any] = ["messaging_product": "whatsapp"]
        let draft = item.draft
        switch draft.kind {
        case .webhook:
            return nil
        case .read:
            object["status"] = "read"
            object["message_id"] = draft.context ?? ""
        case .text, .buttons, .list:
            object["recipient_type"] = "individual"
            object["to"] = item.recipient.id
            if draft.kind != .text, let interactive = Self.interactive(draft) {
                object["type"] = "interactive"
                object["interactive"] = interactive
            } else {
                object["type"] = "text"
                object["text"] = ["body": draft.body, "preview_url": false]
            }
            if let context = draft.context { object["context"] = ["message_id": context] }
        case .template:
            guard let message = TemplateMessage(json: draft.body) else { return nil }
            object["recipient_type"] = "individual"
            object["to"] = item.recipient.id
            object["type"] = "template"
            object["template"] = Self.template(message)
        }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return HTTPRequestSpec(
            method: "POST", url: "\(baseURL)/\(item.phoneNumberID)/messages",
            headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")], body: Array(body),
            timeout: timeout)
    }

    /// The `interactive` object of a `buttons` or `list` draft, within Meta's limits; nil when no
    /// option can be sent.
    static func interactive(_ draft: OutboundDraft) -> [String: Any]? {
        typealias Limits = InteractiveLimits
        let buttons = draft.kind == .buttons
        let (most, titleLimit, idLimit) =
            buttons ? (Limits.maxButtons, Limits.maxButtonTitle, Limits.maxButtonID) : (Limits.maxListRows, Limits.maxRowTitle, Limits.maxRowID)
        var seen: Set<String> = []
        var options: [Flow.Option] = []
        for option in draft.options where options.count < most {
            guard !option.id.isEmpty, Limits.length(of: option.id) <= idLimit, seen.insert(option.id).inserted else { continue }
            options.append(option)
        }
        guard !options.isEmpty else { return nil }
        let labels = Limits.labels(for: draft.body)
        let blank = draft.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        let body = ["text": Limits.cut(blank ? labels.button : draft.body, to: Limits.maxInteractiveBody)]
        // Titles must differ: one that a cut made the same as an earlier one gets a number.
        var titles: Set<String> = []
        func title(_ option: Flow.Option) -> String {
            let trimmed = option.title.trimmingCharacters(in: .whitespacesAndNewlines)
            let full = trimmed.isEmpty ? option.id : trimmed
            var title = Limits.cut(full, to: titleLimit)
            var number = 2
            while titles.contains(title) {
                let suffix = " \(number)"
                title = Limits.cut(full, to: titleLimit - suffix.count) + suffix
                number += 1
            }
            titles.insert(title)
            return title
        }
        if buttons {
            let list = options.map { ["type": "reply", "reply": ["id": $0.id, "title": title($0)]] as [String: Any] }
            return ["type": "button", "body": body, "action": ["buttons": list]]
        }
        let rows = options.map { ["id": $0.id, "title": title($0)] }
        let section: [String: Any] = ["title": Limits.cut(labels.section, to: Limits.maxSectionTitle), "rows": rows]
        return ["type": "list", "body": body, "action": ["button": Limits.cut(labels.button, to: Limits.maxListButton), "sections": [section]]]
    }

    /// What a send came to.
    package enum Outcome: Sendable, Equatable {
        /// Accepted; the id Meta gave the message (nil for read receipts).
        case sent(messageID: String?)
        case failed(GraphError)
    }

    package static func outcome(of response: HTTPResponseData) -> Outcome {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        if (200..<300).contains(response.status) {
            let id = ((object?["messages"] as? [[String: Any]])?.first?["id"]) as? String
            if id != nil || object?["success"] as? Bool == true { return .sent(messageID: id) }
            return .failed(GraphError(status: response.status, code: nil, detail: "a 2xx answer without a message id or success", trace: nil))
        }
        return .failed(GraphError(refusal: response))
    }
}
