import Foundation

/// `{{contact.name}}` and `{{contact.KEY}}` (the attributes flows' `set` stored) in what a
/// person sends: quick replies are written once for every customer.
package enum ContactFields {
    /// The text with each `{{contact.…}}` filled (empty when the contact has no such field);
    /// other braces are the person's own words and stay.
    package static func fill(_ text: String, conversation: Conversation) -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += rest[..<open.lowerBound]
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
