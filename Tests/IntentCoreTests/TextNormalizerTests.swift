import Testing

@testable import IntentCore

@Suite struct TextNormalizerTests {
    @Test(arguments: [
        ("退款?", "退款"),
        ("退款？", "退款"),
        ("Refund!!", "refund"),
        ("refund", "refund"),
        ("ＲＥＦＵＮＤ　１２３", "refund 123"),
        ("  Where's   my\tparcel?\n", "wheres my parcel"),
        ("I don’t know", "i dont know"),
        ("我想refund!!", "我想refund"),
        ("退款 👍🏻 please", "退款 please"),
        ("Café au lait", "café au lait"),
        ("订单号：LM-123456", "订单号 lm 123456"),
        ("!!!", ""),
        ("", ""),
    ])
    func normalises(input: String, expected: String) {
        #expect(TextNormalizer.normalize(input) == expected)
    }

    @Test func asciiFastPathAgreesWithUnicodePath() {
        // The same text once as ASCII and once forced through the Unicode path by a CJK suffix.
        let samples = ["Hello, World!", "it's 10:30 -- OK?", "A/B testing & more"]
        for sample in samples {
            let viaUnicode = TextNormalizer.normalize(sample + " 中")
            #expect(viaUnicode == TextNormalizer.normalize(sample) + " 中")
        }
    }

    @Test func segmentsSplitCJKFromWords() {
        let segments = Segment.split(TextNormalizer.normalize("我想refund 2 items退款"))
        #expect(segments.map(\.kind) == [.cjk, .word, .word, .word, .cjk])
        #expect(segments.count == 5)
    }
}
