import Foundation

/// The review queue: recent unmatched and ambiguous messages grouped into clusters of the same
/// question, largest first, each with the entry it most likely belongs to. Similarity is the
/// service's own: the messages are embedded by the matcher's embedder and scored by the same
/// index, so what the console groups is what the matcher would call alike.
package enum ReviewClusters {
    package struct Cluster: Sendable, Equatable {
        /// Names the cluster across rebuilds while it keeps its first-sorting wording: a hash of
        /// the smallest normalised text among its members. New messages joining it keep the id.
        package var id: String
        /// Newest first.
        package var messages: [MatchStatistics.RecentMessage]
        /// The entry most often first among the members' candidates, with its mean score.
        package var suggested: MatchDecision.Candidate?

        /// Distinct customers among the members that named one.
        package var customers: Int { Set(messages.compactMap(\.customer)).count }

        /// The distinct wordings, most frequent first (ties: newest first).
        package var distinctTexts: [String] {
            var count: [String: Int] = [:]
            var order: [String] = []
            for message in messages {
                if count[message.message] == nil { order.append(message.message) }
                count[message.message, default: 0] += 1
            }
            return order.enumerated().sorted { a, b in
                count[a.element]! != count[b.element]! ? count[a.element]! > count[b.element]! : a.offset < b.offset
            }.map(\.element)
        }
    }

    /// The id of a cluster with these normalised texts.
    static func id(ofTexts normalized: some Sequence<String>) -> String {
        let first = normalized.min() ?? ""
        return String(FeatureHasher.mix(FeatureHasher.hash(first.unicodeScalars.map(\.value), seed: 0xC1)), radix: 16)
    }

    /// Two messages whose score reaches this are the same question (scores as the index gives
    /// them: block-weighted cosines, calibrated per model, so one bar serves every embedder).
    package static let sameQuestion: Float = 0.7

    /// Two first clusters the matcher sends to the same entry join when their leaders score
    /// this: one question worded apart. Measured with `intent-bench review` (10,000 messages,
    /// candidates from the k10 corpus, the default multilingual blend): on HWU64 from 14.6 to 12.7
    /// clusters per question at purity 0.995 → 0.982 (adjusted Rand 0.130 → 0.201), on MASSIVE
    /// zh-CN from 33.9 to 25.0 at 0.950 → 0.906 (ARI 0.041 → 0.117); 0.5 fell below purity 0.9
    /// on MASSIVE. The lexical embedder barely changes (its suggestions are right less often).
    package static let sameSuggestion: Float = 0.6

    package static func build(
        _ messages: [MatchStatistics.RecentMessage], embedder: any Embedder, sameQuestion: Float = sameQuestion,
        sameSuggestion: Float? = sameSuggestion
    ) async throws
        -> [Cluster]
    {
        // One point per distinct text (repeats join their text's cluster).
        var textIndex: [String: Int] = [:]
        var texts: [String] = []
        var membersOfText: [[Int]] = []
        for (i, message) in messages.enumerated() {
            let key = TextNormalizer.normalize(message.message)
            guard !key.isEmpty else { continue }
            if let t = textIndex[key] {
                membersOfText[t].append(i)
            } else {
                textIndex[key] = texts.count
                texts.append(message.message)
                membersOfText.append([i])
            }
        }
        guard !texts.isEmpty else { return [] }
        let corpus = Corpus(entries: texts.enumerated().map { FAQEntry(id: "\($0.offset)", questions: [$0.element], answer: "") })
        let vectors = try await embedder.embed(texts)
        let matcher = try Matcher(corpus: corpus, embedder: embedder, vectors: vectors)

        // Leader clustering, most frequent wording first: a wording joins the cluster of the
        // closest earlier leader it scores `sameQuestion` with, else leads a new one. Every member
        // is then close to its leader; single linkage chained whole topics together instead
        // (measured: a 1,939-message cluster at purity 0.76 on MASSIVE zh-CN, `intent-bench review`).
        let order = texts.indices.sorted { membersOfText[$0].count > membersOfText[$1].count }
        var leader = [Int](repeating: -1, count: texts.count)
        for t in order {
            let closest = matcher.index.search(vectors.row(t), limit: 20).first { hit in
                hit.entry != t && hit.score >= sameQuestion && leader[hit.entry] == hit.entry
            }
            leader[t] = closest?.entry ?? t
        }
        // Clusters the matcher sends to the same entry, whose leaders are close enough, are one
        // question worded apart: a second leader pass over the first clusters joins them.
        if let sameSuggestion {
            var size: [Int: Int] = [:]
            var votes: [Int: [String: Int]] = [:]
            for t in texts.indices {
                size[leader[t], default: 0] += membersOfText[t].count
                for m in membersOfText[t] {
                    if let top = messages[m].candidates.first?.id { votes[leader[t], default: [:]][top, default: 0] += 1 }
                }
            }
            let suggestion = votes.compactMapValues { $0.max { a, b in a.value == b.value ? a.key > b.key : a.value < b.value }?.key }
            let roots = size.keys.sorted { size[$0]! != size[$1]! ? size[$0]! > size[$1]! : $0 < $1 }
            var merged: [Int: Int] = [:]
            for r in roots {
                guard let entry = suggestion[r] else {
                    merged[r] = r
                    continue
                }
                let closest = matcher.index.search(vectors.row(r), limit: 50).first { hit in
                    hit.entry != r && hit.score >= sameSuggestion && merged[hit.entry] == hit.entry && suggestion[hit.entry] == entry
                }
                merged[r] = closest?.entry ?? r
            }
            for t in texts.indices { leader[t] = merged[leader[t]] ?? leader[t] }
        }
        func root(_ t: Int) -> Int { leader[t] }
        var groups: [Int: [Int]] = [:]
        var keysOfGroup: [Int: [String]] = [:]
        for t in texts.indices {
            groups[root(t), default: []] += membersOfText[t]
            keysOfGroup[root(t), default: []].append(TextNormalizer.normalize(texts[t]))
        }
        let clusters = groups.map { group, members -> Cluster in
            let sorted = members.map { messages[$0] }.sorted { $0.at > $1.at }
            var votes: [String: (count: Int, score: Double, question: String)] = [:]
            for message in sorted {
                guard let top = message.candidates.first else { continue }
                let current = votes[top.id] ?? (0, 0, top.question)
                votes[top.id] = (current.count + 1, current.score + top.score, current.question)
            }
            let best = votes.max { a, b in a.value.count == b.value.count ? a.key > b.key : a.value.count < b.value.count }
            let suggested = best.map {
                MatchDecision.Candidate(
                    id: $0.key, score: ($0.value.score / Double($0.value.count) * 10_000).rounded() / 10_000, question: $0.value.question)
            }
            return Cluster(id: id(ofTexts: keysOfGroup[group] ?? []), messages: sorted, suggested: suggested)
        }
        return clusters.sorted {
            $0.messages.count != $1.messages.count
                ? $0.messages.count > $1.messages.count : ($0.messages.first?.at ?? .distantPast) > ($1.messages.first?.at ?? .distantPast)
        }
    }
}
