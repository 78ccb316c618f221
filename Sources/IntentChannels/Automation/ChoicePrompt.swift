/// The "did you mean" message: when the matcher is torn between two or three entries, the
/// customer picks one (reply buttons, or a list beyond Meta's three buttons) instead of getting
/// the fallback reply. Option ids are `faq:<entry id>`; `faq:` alone is "something else".
package enum ChoicePrompt {
    package static let prefix = "faq:"

    /// The prompt in the customer's language where there is one here, else English.
    static let texts: [String: (ask: String, none: String)] = [
        "en": ("Did you mean one of these?", "Something else"),
        "zh": ("您是想问以下哪一个？", "其他问题"),
        "es": ("¿Quiso decir alguna de estas?", "Otra cosa"),
        "pt": ("Você quis dizer alguma destas?", "Outra coisa"),
        "fr": ("Vouliez-vous dire l'une de ces questions ?", "Autre chose"),
        "de": ("Meinten Sie eine dieser Fragen?", "Etwas anderes"),
        "ja": ("次のどれかでしょうか？", "その他"),
        "ru": ("Вы имели в виду один из этих вопросов?", "Другое"),
        "ar": ("هل تقصد أحد هذه الأسئلة؟", "شيء آخر"),
    ]

    /// The message offering `choices` (entry ids with their questions), in `language`.
    package static func draft(_ choices: [Flow.Option], language: String?, quoting context: String?) -> OutboundDraft {
        let words = texts[language ?? "en"] ?? texts["en"]!
        let options = choices.map { Flow.Option(id: prefix + $0.id, title: $0.title) } + [Flow.Option(id: prefix, title: words.none)]
        return OutboundDraft(kind: options.count <= 3 ? .buttons : .list, body: words.ask, context: context, options: options)
    }

    /// The entry a reply picked: nil when it is no pick, "" for "something else".
    package static func pick(_ choice: String?) -> String? {
        guard let choice, choice.hasPrefix(prefix) else { return nil }
        return String(choice.dropFirst(prefix.count))
    }
}
