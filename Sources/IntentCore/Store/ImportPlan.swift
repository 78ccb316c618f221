/// What importing a corpus over a stored one changes, before anything is embedded.
package struct ImportPlan: Sendable {
    package var summary = ImportSummary()
    /// Every distinct paraphrase of the new corpus, by content hash, in corpus order.
    package var paraphrases: [(hash: String, text: String)] = []

    /// Compares entries by id (added, changed, removed, unchanged); paraphrases are keyed by
    /// content hash, which names the embedder, so a stored vector is reused only for its own.
    package init(corpus: Corpus, stored: Corpus?, embedderID: String) {
        let old = stored.map { Dictionary(uniqueKeysWithValues: $0.entries.map { ($0.id, $0) }) } ?? [:]
        var seen: Set<String> = []
        for entry in corpus.entries {
            if let previous = old[entry.id] {
                if previous == Self.comparable(entry, like: previous) { summary.unchanged += 1 } else { summary.changed += 1 }
            } else {
                summary.added += 1
            }
            for question in entry.questions {
                let hash = ParaphraseKey.hash(question, embedderID: embedderID)
                if seen.insert(hash).inserted { paraphrases.append((hash, question)) }
            }
        }
        let ids = Set(corpus.entries.map(\.id))
        summary.removed = old.keys.filter { !ids.contains($0) }.count
    }

    /// The entry with the other's location, so only content is compared.
    private static func comparable(_ entry: FAQEntry, like other: FAQEntry) -> FAQEntry {
        var copy = entry
        copy.location = other.location
        return copy
    }
}
