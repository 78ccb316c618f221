/// Meta's limits on interactive messages (reply buttons and lists), which the Cloud API refuses
/// a message for breaking (code 131009). The flow file is checked against them when it is read
/// (`FlowFile`), and `GraphAPI` keeps any draft within them.
///
/// Lengths are counted in Unicode scalars (`length(of:)`): a Chinese character or an emoji such
/// as 👍 is one, an emoji with a skin tone two.
package enum InteractiveLimits {
    package static let maxButtons = 3
    package static let maxButtonTitle = 20
    package static let maxButtonID = 256
    package static let maxListRows = 10
    package static let maxRowTitle = 24
    package static let maxRowID = 200
    package static let maxSectionTitle = 24
    /// The label of the button that opens a list.
    package static let maxListButton = 20
    /// The body text of an interactive message.
    package static let maxInteractiveBody = 1_024

    package static func length(of text: String) -> Int { text.unicodeScalars.count }

    /// The text itself when it fits in `limit`, else its longest start of whole characters that
    /// fits with "…" after it.
    package static func cut(_ text: String, to limit: Int) -> String {
        guard length(of: text) > limit else { return text }
        var out = ""
        var used = 0
        for character in text {
            let size = character.unicodeScalars.count
            if used + size > limit - 1 { break }
            out.append(character)
            used += size
        }
        return out + "…"
    }

    /// The list's button label and section title, in Chinese when the body has Chinese in it.
    static func labels(for body: String) -> (button: String, section: String) {
        let chinese = body.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
        return chinese ? ("选择", "选项") : ("Choose", "Options")
    }
}
