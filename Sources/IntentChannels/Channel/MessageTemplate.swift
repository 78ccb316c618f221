import Foundation

/// A template the platform approved for the business: what the console lists and a person
/// sends outside the customer's 24-hour window. Its body holds placeholders, numbered (`{{1}}`)
/// or named (`{{order_id}}`), whose values are given at send time.
package struct MessageTemplate: Sendable, Equatable {
    /// A button of the template (fixed at approval: nothing is filled in at send time here).
    package struct Button: Sendable, Equatable {
        /// `quick_reply`, `url`, `phone_number`, `copy_code`... (the platform's type, lower-case).
        package var type: String
        package var text: String

        package init(type: String, text: String) {
            self.type = type
            self.text = text
        }
    }

    package var name: String
    /// The language code (`en_US`): one template name is approved per language.
    package var language: String
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    package var category: String
    /// The body's text, placeholders included.
    package var body: String
    /// The placeholders whose values a send gives, in that order: `1`, `2`... or the names.
    package var placeholders: [String]
    /// Whether the placeholders are named (`{{order_id}}`) rather than numbered.
    package var named: Bool
    package var buttons: [Button]

    /// - Parameter named: the template says its placeholders are named (the platform's
    ///   `parameter_format: NAMED`); otherwise a placeholder that is not a number makes it so.
    package init(name: String, language: String, category: String, body: String, named: Bool = false, buttons: [Button] = []) {
        self.name = name
        self.language = language
        self.category = category
        self.body = body
        self.buttons = buttons
        let found = Self.placeholders(in: body)
        self.named = named || found.contains { Int($0) == nil }
        if self.named {
            var seen: Set<String> = []
            placeholders = found.filter { seen.insert($0).inserted }
        } else {
            placeholders = Set(found).sorted { Int($0)! < Int($1)! }
        }
    }

    /// How many values a send gives.
    package var parameters: Int { placeholders.count }

    /// The body as the customer reads it, with `values` in place of the placeholders (one
    /// without a value stays as written).
    package func filled(with values: [String]) -> String {
        var byName: [String: String] = [:]
        for (name, value) in zip(placeholders, values) { byName[name] = value }
        var out = ""
        var rest = body[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += byName[name] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// This template with `values`, as queued for sending.
    package func message(_ values: [String]) -> TemplateMessage {
        TemplateMessage(name: name, language: language, parameters: values, parameterNames: named ? placeholders : nil, text: filled(with: values))
    }

    /// The `{{...}}` placeholders of a text, in order, repeats included.
    static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { found.append(name) }
            rest = rest[close.upperBound...]
        }
        return found
    }
}
