import Foundation

/// A WhatsApp Cloud API webhook delivery: `entry[].changes[].value` with `messages[]` from
/// customers and `statuses[]` of messages the business sent.
///
/// Decoding is lenient where Meta adds fields (unknown ones are ignored) and strict where the
/// service depends on one (a message without `id` or `from` is skipped and counted).
public struct WebhookPayload: Sendable {
    public var messages: [InboundMessage] = []
    public var statuses: [DeliveryStatus] = []
    /// Message objects that lack what the service needs (id, sender).
    public var skipped = 0

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public init(messages: [InboundMessage] = [], statuses: [DeliveryStatus] = [], skipped: Int = 0) {
        self.messages = messages
        self.statuses = statuses
        self.skipped = skipped
    }

    /// - Parameter phoneNumberID: when set, changes for other business numbers are skipped.
    public static func decode(_ body: [UInt8], phoneNumberID: String? = nil) throws -> WebhookPayload {
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
                    let type = message.type ?? "unknown"
                    payload.messages.append(
                        InboundMessage(
                            id: id, customer: from, customerName: names[from], phoneNumberID: number, type: type,
                            text: message.words, sentAt: Self.date(message.timestamp)))
                }
                for status in value.statuses ?? [] {
                    guard let id = status.id, let state = status.status else {
                        payload.skipped += 1
                        continue
                    }
                    let error = status.errors?.first
                    payload.statuses.append(
                        DeliveryStatus(
                            messageID: id, status: state, recipient: status.recipient_id, at: Self.date(status.timestamp),
                            errorCode: error?.code, errorDetail: error?.error_data?.details ?? error?.message ?? error?.title))
                }
            }
        }
        return payload
    }

    /// Meta's timestamps are Unix seconds as strings.
    static func date(_ timestamp: String?) -> Date {
        timestamp.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } ?? Date()
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
        struct Button: Decodable { var text: String? }
        struct Interactive: Decodable {
            struct Reply: Decodable { var title: String? }
            var button_reply: Reply?
            var list_reply: Reply?
        }
        var id: String?
        var from: String?
        var timestamp: String?
        var type: String?
        var text: Text?
        var button: Button?
        var interactive: Interactive?

        /// What the customer wrote or chose: a text's body, a quick-reply button's text, an
        /// interactive reply's title. Nil for media, locations, reactions...
        var words: String? {
            let words: String?
            switch type {
            case "text": words = text?.body
            case "button": words = button?.text
            case "interactive": words = interactive?.button_reply?.title ?? interactive?.list_reply?.title
            default: words = nil
            }
            guard let words, !words.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            return words
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
