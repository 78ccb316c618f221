/// What importing a corpus over a stored index changes, before anything is embedded.
package struct ImportPlan: Sendable {
    package var summary = ImportSummary()
    /// Hash of every paraphrase of the new corpus, in corpus order.
    package var hashes: [String] = []
    /// Vectors reused from the stored index: their row in `stored.vectors`, by hash.
    package var reusable: [String: Int] = [:]
    /// Texts whose vectors must come from the cache or the embedder, one per distinct hash.
    package var missing: [(hash: String, text: String)] = []

    /// Compares entries by id (added, changed, removed, unchanged) and paraphrases by
    /// content hash; vectors of a stored index made by the same embedder are reused.
    package init(corpus: Corpus, stored: StoredIndex?, embedderID: String) {
        let old = stored.map { Dictionary(uniqueKeysWithValues: $0.corpus.entries.map { ($0.id, $0) }) } ?? [:]
        var storedRows: [String: Int] = [:]
        if let stored, stored.embedderID == embedderID {
            var row = 0
            for entry in stored.corpus.entries {
                for question in entry.questions {
                    storedRows[ParaphraseKey.hash(question, embedderID: embedderID)] = row
                    row += 1
                }
            }
        }
        var seen: Set<String> = []
        for entry in corpus.entries {
            if let previous = old[entry.id] {
                if previous == Self.comparable(entry, like: previous) { summary.unchanged += 1 } else { summary.changed += 1 }
            } else {
                summary.added += 1
            }
            for question in entry.questions {
                let hash = ParaphraseKey.hash(question, embedderID: embedderID)
                hashes.append(hash)
                if let row = storedRows[hash] {
                    reusable[hash] = row
                } else if seen.insert(hash).inserted {
                    missing.append((hash, question))
                }
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
