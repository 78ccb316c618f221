import Testing

@testable import IntentCore

@Suite struct KeywordRuleTests {
    func rule(_ mode: KeywordRule.Mode, _ patterns: [String]) throws -> KeywordRule {
        try KeywordRule(id: "r", mode: mode, patterns: patterns, reply: .answer("x"))
    }

    func fires(_ rule: KeywordRule, _ message: String) -> Bool {
        rule.matches(normalized: TextNormalizer.normalize(message))
    }

    @Test func chineseContainsNeedsNoWordBoundary() throws {
        let r = try rule(.containsAny, ["人工"])
        #expect(fires(r, "我要人工服务"))
        #expect(fires(r, "转人工!"))
        #expect(!fires(r, "人的工作"))
    }

    @Test func latinContainsRespectsWordEdges() throws {
        let r = try rule(.containsAny, ["hi", "human agent"])
        #expect(fires(r, "Hi there"))
        #expect(!fires(r, "this is it"))
        #expect(fires(r, "Human Agent, please!"))
        #expect(fires(r, "我要human agent"))
        #expect(!fires(r, "superhuman agents"))
    }

    @Test func patternsAreNormalisedLikeMessages() throws {
        let r = try rule(.containsAny, ["ＨＵＭＡＮ　ＡＧＥＮＴ"])
        #expect(fires(r, "human agent"))
    }

    @Test func containsAllNeedsEveryPattern() throws {
        let r = try rule(.containsAll, ["refund", "退款"])
        #expect(fires(r, "refund 退款"))
        #expect(!fires(r, "refund only"))
    }

    @Test func exactMatchesTheWholeMessage() throws {
        let r = try rule(.exact, ["hello", "你好"])
        #expect(fires(r, "Hello!"))
        #expect(fires(r, "你好。"))
        #expect(!fires(r, "hello there"))
    }

    @Test func regexRunsOnNormalisedText() throws {
        let r = try rule(.regex, [#"lm ?\d{6,}"#])
        #expect(fires(r, "order LM-1234567 please"))
        #expect(fires(r, "订单LM123456"))
        #expect(!fires(r, "lm 12"))
    }

    @Test func invalidPatternsAreRejected() {
        #expect(throws: KeywordRule.PatternError.self) { try rule(.regex, ["ok", "(unclosed"]) }
        #expect(throws: KeywordRule.PatternError.self) { try rule(.containsAny, ["!!!"]) }
    }
}
