import Testing

@testable import IntentCore

@Suite struct LexicalEmbedderTests {
    let embedder = LexicalEmbedder()

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func isDeterministicAcrossInstancesAndBatches() async throws {
        let texts = ["where is my parcel", "我想退款", "mixed 中文 text 123456"]
        let a = try await embedder.embed(texts)
        let b = try await LexicalEmbedder().embed(texts)
        #expect(a == b)
        for (i, text) in texts.enumerated() {
            #expect(Array(a.row(i)) == LexicalEmbedder().vector(for: text))
        }
    }

    @Test func normalisationVariantsEmbedIdentically() {
        #expect(embedder.vector(for: "Refund!!") == embedder.vector(for: "refund"))
        #expect(embedder.vector(for: "退款？") == embedder.vector(for: "退款"))
        #expect(embedder.vector(for: "ｒｅｆｕｎｄ") == embedder.vector(for: "refund"))
    }

    @Test func typosStayCloserThanUnrelatedText() {
        let refund = embedder.vector(for: "refund")
        #expect(cosine(refund, embedder.vector(for: "refnud")) > cosine(refund, embedder.vector(for: "weather")))
        let tracking = embedder.vector(for: "order tracking")
        #expect(cosine(tracking, embedder.vector(for: "track my order")) > 0.2)
    }

    @Test func chineseSharesCharactersAndPairs() {
        let a = embedder.vector(for: "怎么申请退款")
        #expect(cosine(a, embedder.vector(for: "我要退款")) > cosine(a, embedder.vector(for: "今天天气怎样")))
    }

    @Test func longNumbersFoldTogether() {
        #expect(embedder.vector(for: "order 123456") == embedder.vector(for: "order 987654"))
        #expect(embedder.vector(for: "order 12") != embedder.vector(for: "order 98"))
    }

    @Test func idNamesEveryParameter() {
        var p = LexicalEmbedder.Parameters()
        let base = LexicalEmbedder(parameters: p).id
        p.charNGramWeight = 0.9
        #expect(LexicalEmbedder(parameters: p).id != base)
        #expect(base.hasPrefix("lexical-v1/d2048"))
    }

    @Test func emptyTextIsAZeroVector() {
        #expect(embedder.vector(for: "!!! 👍").allSatisfy { $0 == 0 })
    }
}
