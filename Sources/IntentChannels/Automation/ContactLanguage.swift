import IntentCore

/// The contact's language: the attribute `language` (an ISO 639-1 code, `es`, `pt`), which flows
/// read as `{{contact.language}}` and may set themselves. A channel that knows the language of the
/// customer's app (Telegram's `from.language_code`) starts it on the contact that has none.
///
/// The answer's language is the message's as `LanguageDetector` tells it; when it cannot tell
/// ("ok", "LM1234"), the contact's language stands in: a Spanish-speaking customer's "ok" gets the
/// entry's Spanish answer, not its default one.
package enum ContactLanguage {
    package static let attribute = "language"

    /// The ISO 639-1 part of a language tag (`pt-br` → `pt`, `zh-Hans` → `zh`, `es` → `es`), or nil
    /// when the tag starts with no such code.
    package static func code(ofTag tag: String) -> String? {
        let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        return LanguageDetector.isLanguageCode(primary) ? primary : nil
    }

    /// What the customer's language is known to be apart from the message's words: the contact's
    /// attribute (set by the channel, or by a flow), else the message's app language.
    package static func known(for message: InboundMessage, contact: Conversation?) -> String? {
        contact?.attributes[attribute].flatMap(code(ofTag:)) ?? message.language.flatMap(code(ofTag:))
    }

    /// The language of the customer's message: detected from its words, else the one `known`.
    package static func of(_ message: InboundMessage, contact: Conversation?) -> String? {
        LanguageDetector.language(of: message.text ?? "") ?? known(for: message, contact: contact)
    }
}
