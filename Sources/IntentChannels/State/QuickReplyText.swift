import Foundation

/// A quick reply's text as sent to one customer: `{{contact.name}}` and `{{contact.<key>}}`
/// (the contact's attributes, which flows `set`) filled in from the conversation, as a flow's
/// texts fill them. Other `{{...}}` stay as written: the person may mean them literally.
package enum QuickReplyText {
    /// The text with each `{{contact.name}}` (the customer's profile name, else "") and
    /// `{{contact.<key>}}` (the attribute, else "") in place.
    package static func fill(_ text: String, conversation: Conversation) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if name == "contact.name" {
                out += conversation.name ?? ""
            } else if name.hasPrefix("contact.") {
                out += conversation.attributes[String(name.dropFirst("contact.".count))] ?? ""
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
