package import Foundation

/// A WhatsApp Cloud API webhook delivery: `entry[].changes[].value` with `messages[]` from
/// customers and `statuses[]` of messages the business sent.
///
/// Decoding is lenient where Meta adds fields (unknown ones are ignored) and strict where the
/// service depends on one (a message without `id` or `from` is skipped and counted).
package struct WebhookPayload: Sendable {
    package var messages: [InboundMessage] = []
    package var statuses: [DeliveryStatus] = []
    /// Message objects that lack what the service needs (id, sender).
    package var skipped = 0
    /// Timestamps that were not a time (unparsable, out of range): the receipt time stands in.
    package var unusableTimestamps = 0

    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    package init(messages: [InboundMessage] = [], statuses: [DeliveryStatus] = [], skipped: Int = 0) {
        self.messages = messages
        self.statuses = statuses
        self.skipped = skipped
    }

    /// - Parameters:
    ///   - phoneNumberID: when set, changes for other business numbers are skipped.
    ///   - receivedAt: stands in for a timestamp that is not a plausible time.
    package static func decode(_ body: [UInt8], phoneNumberID: String? = nil, receivedAt: Date = Date()) throws -> WebhookPayload {
        let root: Root
        do {
            root = try JSONDecoder().decode(Root.self, from: Data(body))
        } catch {
            throw Malformed(description: "not a WhatsApp webhook payload: \(Self.explain(error))")
        }
        guard root.object == nil || root.object == "whatsapp_business_account" else {
            throw Malformed(description: "object is '\(root.object ?? "")', expected whatsapp_business_account")
        }
        var payload = WebhookPayload()
        for entry in root.entry ?? [] {
            for change in entry.changes ?? [] {
                guard let value = change.value, change.field == nil || change.field == "messages" else { continue }
                let number = value.metadata?.phone_number_id ?? ""
                if let phoneNumberID, number != phoneNumberID {
                    payload.skipped += (value.messages?.count ?? 0)
                    continue
                }
                var names: [String: String] = [:]
                for contact in value.contacts ?? [] {
                    if let id = contact.wa_id, let name = contact.profile?.name { names[id] = name }
                }
                for message in value.messages ?? [] {
                    guard let id = message.id, !id.isEmpty, let from = message.from, !from.isEmpty else {
                        payload.skipped += 1
                        continue
                    }
                    let sentAt = payload.date(message.timestamp, receivedAt: receivedAt)
                    payload.messages.append(
                        InboundMessage(
                            id: id, customer: from, customerName: names[from], phoneNumberID: number, type: message.kind,
                            text: message.words, caption: message.caption, choice: message.choice, replyTo: message.context?.id, sentAt: sentAt))
                }
                for status in value.statuses ?? [] {
                    guard let id = status.id, let state = status.status else {
                        payload.skipped += 1
                        continue
                    }
                    let error = status.errors?.first
                    let at = payload.date(status.timestamp, receivedAt: receivedAt)
                    payload.statuses.append(
                        DeliveryStatus(
                            messageID: id, status: state, recipient: status.recipient_id, at: at,
                            errorCode: error?.code, errorDetail: error?.error_data?.details ?? error?.message ?? error?.title))
                }
            }
        }
        return payload
    }

    /// Meta's timestamps are Unix seconds as strings; one that is not a time becomes the
    /// receipt time, counted (`MetaTimestamp`).
    mutating func date(_ timestamp: String?, receivedAt: Date) -> Date {
        if let date = MetaTimestamp.date(seconds: timestamp.flatMap(Double.init), receivedAt: receivedAt) { return date }
        unusableTimestamps += 1
        return receivedAt
    }

    static func explain(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return "\(path.isEmpty ? "the body" : String(path.dropFirst())): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    // The wire shapes (only the fields the service reads).
    struct Root: Decodable {
        var object: String?
        var entry: [Entry]?
    }
    struct Entry: Decodable { var changes: [Change]? }
    struct Change: Decodable {
        var field: String?
        var value: Value?
    }
    struct Value: Decodable {
        var metadata: Metadata?
        var contacts: [Contact]?
        var messages: [Message]?
        var statuses: [Status]?
    }
    struct Metadata: Decodable { var phone_number_id: String? }
    struct Contact: Decodable {
        struct Profile: Decodable { var name: String? }
        var wa_id: String?
        var profile: Profile?
    }
    struct Message: Decodable {
        struct Text: Decodable { var body: String? }
        /// A quick-reply button of a template: `payload` is the id the business gave it.
        struct Button: Decodable {
            var payload: String?
            var text: String?
        }
        struct Interactive: Decodable {
            /// `button_reply {id, title}` or `list_reply {id, title, description}`.
            struct Reply: Decodable {
                var id: String?
                var title: String?
                var description: String?
            }
            var type: String?
            var button_reply: Reply?
            var list_reply: Reply?
        }
        struct System: Decodable { var body: String? }
        /// An image, a video or a document: its caption (the media id is not kept).
        struct Media: Decodable { var caption: String? }
        /// The business message this one replies to.
        struct Context: Decodable { var id: String? }
        var id: String?
        var context: Context?
        var from: String?
        var timestamp: String?
        var type: String?
        var text: Text?
        var button: Button?
        var interactive: Interactive?
        var system: System?
        var image: Media?
        var video: Media?
        var document: Media?

        /// The stored type: Meta's `type`, except that replies to a call-permission request
        /// (`interactive.type: call_permission_reply`) are a notice of their own, not a choice.
        var kind: String {
            let kind = type ?? "unknown"
            if kind == "interactive", let sub = interactive?.type, ConversationPolicy.noticeTypes.contains(sub) { return sub }
            return kind
        }

        /// What the customer wrote or chose: a text's body, a quick-reply button's text, an
        /// interactive reply's title. Nil for media, locations, reactions...
        var words: String? {
            let words: String?
            switch type {
            case "text": words = text?.body
            case "button": words = button?.text
            case "interactive": words = reply?.title
            // A notice's own words ("User A changed from ... to ..."): recorded, never answered.
            case "system": words = system?.body
            default: words = nil
            }
            guard let words, !words.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return words
        }

        /// A media message's caption: the customer's words with an image, a video or a document.
        /// Shown to people, never answered: a media message goes where non-text messages go.
        var caption: String? {
            let caption: String?
            switch type {
            case "image": caption = image?.caption
            case "video": caption = video?.caption
            case "document": caption = document?.caption
            default: caption = nil
            }
            guard let caption, !caption.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return caption
        }

        /// The reply an interactive message carries: the one its `interactive.type` names
        /// (`button_reply` or `list_reply`), else whichever is present.
        private var reply: Interactive.Reply? {
            guard let interactive else { return nil }
            switch interactive.type {
            case "button_reply": return interactive.button_reply
            case "list_reply": return interactive.list_reply
            default: return interactive.button_reply ?? interactive.list_reply
            }
        }

        /// The id of what the customer picked: an interactive reply's button or list row id, a
        /// template quick-reply button's payload. Nil for typed messages (and for an empty id).
        var choice: String? {
            let id: String?
            switch type {
            case "button": id = button?.payload
            case "interactive": id = reply?.id
            default: id = nil
            }
            guard let id, !id.isEmpty else { return nil }
            return id
        }
    }
    struct Status: Decodable {
        struct Failure: Decodable {
            struct Data: Decodable { var details: String? }
            var code: Int?
            var title: String?
            var message: String?
            var error_data: Data?
        }
        var id: String?
        var status: String?
        var timestamp: String?
        var recipient_id: String?
        var errors: [Failure]?
    }
}
