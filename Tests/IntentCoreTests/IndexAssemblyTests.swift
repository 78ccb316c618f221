import Testing

@testable import IntentCore

/// An import's vectors put together from reused stored rows, the cache and batches arriving in
/// any order: row `i` of the result is the vector of the corpus's `i`-th paraphrase, in both layouts.
@Suite struct IndexAssemblyTests {
    static let embedderID = "test-embedder"

    /// A vector of its own for each text, with zeros in it (so the sparse layout has something to skip).
    static func vector(_ text: String) -> [Float] {
        let scalars = text.unicodeScalars.map { Float($0.value % 7) }
        return (0..<6).map { i in i % 2 == 0 ? 0 : Float(text.count) + scalars[i % scalars.count] }
    }

    static func matrix(_ texts: [String], _ layout: EmbeddingMatrix.Layout) -> EmbeddingMatrix {
        var matrix = EmbeddingMatrix(dimension: 6, layout: layout)
        for text in texts { matrix.append(row: vector(text)) }
        return matrix
    }

    static let old = Corpus(entries: [
        FAQEntry(id: "a", questions: ["one", "two"], answer: "A"), FAQEntry(id: "b", questions: ["three"], answer: "B"),
    ])
    /// Reuses "one" and "three" (twice), repeats the new "four", and drops "two".
    static let new = Corpus(entries: [
        FAQEntry(id: "a", questions: ["one", "four"], answer: "A"), FAQEntry(id: "c", questions: ["five", "three", "four"], answer: "C"),
        FAQEntry(id: "d", questions: ["three", "six"], answer: "D"),
    ])

    @Test(arguments: [EmbeddingMatrix.Layout.dense, .sparse])
    func rowsFollowTheCorpusWhateverOrderTheyArriveIn(layout: EmbeddingMatrix.Layout) {
        let stored = StoredIndex(
            corpus: Self.old, vectors: Self.matrix(["one", "two", "three"], layout), embedderID: Self.embedderID, importedAt: "then")
        let plan = ImportPlan(corpus: Self.new, stored: stored, embedderID: Self.embedderID)
        #expect(plan.missing.map(\.text) == ["four", "five", "six"])
        let hash = Dictionary(uniqueKeysWithValues: plan.missing.map { ($0.text, $0.hash) })

        var assembly = IndexAssembly(plan: plan, stored: stored.vectors, dimension: 6)
        #expect(assembly.missingCount == 3)
        assembly.add([hash["five"]!: Self.vector("five")])
        // The last batch first, and a hash sent twice is taken once.
        assembly.add(Self.matrix(["six", "four"], layout), hashes: [hash["six"]!, hash["four"]!])
        assembly.add(Self.matrix(["four"], layout), hashes: [hash["four"]!])
        #expect(assembly.missingCount == 0)

        let built = assembly.finish()
        #expect(built.layout == layout)
        #expect(built == Self.matrix(["one", "four", "five", "three", "four", "three", "six"], .dense))
    }

    /// A stored index loaded sparse (the default embedder's rows are under half non-zero) takes
    /// the embedder's dense batches, and the index stays sparse.
    @Test func aSparseStoredIndexTakesDenseBatches() {
        let stored = StoredIndex(
            corpus: Self.old, vectors: Self.matrix(["one", "two", "three"], .sparse), embedderID: Self.embedderID, importedAt: "then")
        let plan = ImportPlan(corpus: Self.new, stored: stored, embedderID: Self.embedderID)
        var assembly = IndexAssembly(plan: plan, stored: stored.vectors, dimension: 6)
        assembly.add(Self.matrix(plan.missing.map(\.text), .dense), hashes: plan.missing.map(\.hash))
        let built = assembly.finish()
        #expect(built.layout == .sparse)
        #expect(built == Self.matrix(["one", "four", "five", "three", "four", "three", "six"], .dense))
    }

    @Test func withoutAStoredIndexTheFirstBatchSetsTheLayout() {
        let plan = ImportPlan(corpus: Self.old, stored: nil, embedderID: Self.embedderID)
        for layout in [EmbeddingMatrix.Layout.dense, .sparse] {
            var assembly = IndexAssembly(plan: plan, stored: nil, dimension: 6)
            assembly.add(Self.matrix(plan.missing.map(\.text), layout), hashes: plan.missing.map(\.hash))
            let built = assembly.finish()
            #expect(built.layout == layout)
            #expect(built == Self.matrix(["one", "two", "three"], .dense))
        }
    }
}
