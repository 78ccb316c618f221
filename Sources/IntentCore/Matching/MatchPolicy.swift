/// When a semantic result is good enough to answer.
///
/// With the best entry's score `s1` and the runner-up's `s2` (cosines):
/// - `s1 >= threshold` (the entry's own threshold when it sets one) and
///   `s1 - s2 >= margin`: **matched**;
/// - `s1 >= threshold` but `s1 - s2 < margin`: **ambiguous** (two entries are
///   too close to call: the candidates are returned for a "did you mean" reply);
/// - otherwise fallback keyword rules may answer, else **unmatched** with
///   `fallbackReply`.
/// `before` keyword rules are checked first and win over all of this.
///
/// With `ownScoreFloor` set, an entry that clears the threshold is still not answered when
/// the message scores further below its paraphrases' own scores than that (see
/// `OwnScoreSpread`): the message is then unmatched, or goes to the fallback rules.
///
/// The defaults were chosen by measurement with the lexical embedder (see the
/// docs/embedders.md, "Where the defaults come from"): re-calibrate them for another embedder or corpus
/// with `intent-service evaluate`.
public struct MatchPolicy: Sendable, Equatable {
    public static let defaultThreshold: Float = 0.25
    public static let defaultMargin: Float = 0.01
    public static let defaultFallbackReply =
        "Sorry, I could not find an answer to that. A colleague will get back to you soon. / 抱歉，暂时没有找到答案，客服同事会尽快回复您。"

    public var threshold: Float
    public var margin: Float
    /// How many standard deviations below the mean of an entry's own leave-one-out paraphrase
    /// scores a message may score and still be answered with it; nil: no such floor.
    public var ownScoreFloor: Float?
    /// How many candidate entries a decision lists.
    public var topK: Int
    public var fallbackReply: String

    public init(
        threshold: Float = defaultThreshold, margin: Float = defaultMargin, ownScoreFloor: Float? = nil, topK: Int = 5,
        fallbackReply: String = defaultFallbackReply
    ) {
        self.threshold = threshold
        self.margin = margin
        self.ownScoreFloor = ownScoreFloor
        self.topK = topK
        self.fallbackReply = fallbackReply
    }
}
