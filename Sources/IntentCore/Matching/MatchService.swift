import Dispatch

/// A decision as the service gives it: the matcher's decision, and whether a
/// fallback had to answer because the configured embedder failed.
public struct ServiceDecision: Sendable, Equatable, Encodable {
    public var decision: MatchDecision
    public var degraded: Bool
    public var degradedReason: String?

    public init(decision: MatchDecision, degraded: Bool = false, degradedReason: String? = nil) {
        self.decision = decision
        self.degraded = degraded
        self.degradedReason = degradedReason
    }

    enum CodingKeys: String, CodingKey {
        case degraded
        case degradedReason = "degraded_reason"
    }

    /// The decision's fields plus `degraded` and `degraded_reason`, as `/match` and `match --json` print them.
    public func encode(to encoder: Encoder) throws {
        try decision.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(degraded, forKey: .degraded)
        try c.encode(degradedReason, forKey: .degradedReason)
    }
}

/// The service's decision path: the configured matcher under a deadline, a
/// fallback when it fails, and an optional chat model for close calls.
///
/// It never throws for a provider failure: when the primary matcher (its embedder
/// may be a remote provider) is unavailable, fails or misses the deadline, the
/// fallback matcher answers (the local lexical embedder over the same corpus when
/// configured, else keyword rules only) with `degraded: true` and the reason.
public struct MatchService: Sendable {
    /// The configured matcher, or nil while it cannot be built (provider down at start-up).
    public let primary: Matcher?
    /// Why `primary` is nil.
    public let primaryUnavailable: String?
    public let fallback: Matcher
    public let disambiguator: LLMDisambiguator?
    /// The most a decision may take before the fallback answers; nil when nothing can be
    /// slow (the built-in embedder, no chat model), which keeps the timer off the hot path.
    public let deadline: Duration?
    /// The chat model's recent answers by message and candidate count: a repeated close call
    /// is settled without paying for the model again (enabled with `remembering(decisions:)`).
    private var settledByModel: RecentCache<Matcher.DecisionKey, MatchDecision>?

    public init(
        primary: Matcher?, primaryUnavailable: String? = nil, fallback: Matcher, disambiguator: LLMDisambiguator? = nil,
        deadline: Duration? = .milliseconds(1_500)
    ) {
        self.primary = primary
        self.primaryUnavailable = primaryUnavailable
        self.fallback = fallback
        self.disambiguator = disambiguator
        self.deadline = deadline
    }

    /// A service with one matcher and no fallback needed (the offline default).
    public init(_ matcher: Matcher) {
        self.init(primary: matcher, fallback: matcher, deadline: nil)
    }

    public var corpus: Corpus { (primary ?? fallback).corpus }

    /// The decision of a `before` keyword rule that claims the message, or nil; nothing is
    /// embedded (a channel's flow takes the message unless such a rule hands it over).
    package func beforeRuleDecision(_ message: String) -> MatchDecision? {
        (primary ?? fallback).beforeRuleDecision(message)
    }

    /// The same service under another policy (indexes are shared, not rebuilt).
    public func with(policy: MatchPolicy) -> MatchService {
        MatchService(
            primary: primary?.with(policy: policy), primaryUnavailable: primaryUnavailable, fallback: fallback.with(policy: policy),
            disambiguator: disambiguator, deadline: deadline)
    }
    /// The same service with its matchers' `ownScoreSpread` measured (see `Matcher.measuringOwnScores`).
    package func measuringOwnScores() async throws -> MatchService {
        let measuredFallback = try await fallback.measuringOwnScores()
        var measuredPrimary: Matcher?
        if let primary { measuredPrimary = try await primary.measuringOwnScores() }
        var copy = MatchService(
            primary: measuredPrimary, primaryUnavailable: primaryUnavailable, fallback: measuredFallback, disambiguator: disambiguator,
            deadline: deadline)
        copy.settledByModel = settledByModel
        return copy
    }

    /// The same service with matchers that remember their last `capacity` decisions
    /// (see `Matcher.remembering(decisions:)`); the chat model still settles close calls.
    public func remembering(decisions capacity: Int) -> MatchService {
        var copy = MatchService(
            primary: primary?.remembering(decisions: capacity), primaryUnavailable: primaryUnavailable,
            fallback: fallback.remembering(decisions: capacity), disambiguator: disambiguator, deadline: deadline)
        copy.settledByModel = capacity > 0 && disambiguator != nil ? RecentCache(capacity: capacity) : nil
        return copy
    }

    /// The matcher whose decisions are normally served.
    public var matcher: Matcher { primary ?? fallback }

    public func match(_ message: String, topK: Int? = nil) async -> ServiceDecision {
        await match([message], topK: topK)[0]
    }

    public func match(_ messages: [String], topK: Int? = nil) async -> [ServiceDecision] {
        guard let primary else {
            return await degraded(messages, topK: topK, reason: primaryUnavailable ?? "the embedder is unavailable")
        }
        let decisions: [MatchDecision]
        do {
            if let deadline {
                decisions = try await Deadline.run(deadline) { try await primary.match(messages, topK: topK) }
            } else {
                decisions = try await primary.match(messages, topK: topK)
            }
        } catch {
            return await degraded(messages, topK: topK, reason: "embedder \(primary.embedder.id) failed: \(clientDescription(of: error))")
        }
        guard let disambiguator else { return decisions.map { ServiceDecision(decision: $0) } }
        // The chat model has a budget of its own: what the embedding left of its deadline was
        // shorter than one Coze poll, so no bot ever settled anything with the defaults.
        return await settle(decisions, messages: messages, topK: topK, with: disambiguator, matcher: primary, within: disambiguator.budget)
            .map { ServiceDecision(decision: $0) }
    }

    private func degraded(_ messages: [String], topK: Int?, reason: String) async -> [ServiceDecision] {
        let decisions: [MatchDecision]
        if let local = try? await fallback.match(messages, topK: topK) {
            decisions = local
        } else {
            decisions = messages.map { fallback.decide(normalized: TextNormalizer.normalize($0), vector: nil, topK: topK) }
        }
        let how = fallback.embedder is NullEmbedder ? "keyword rules answered" : "the \(fallback.embedder.id) embedder answered"
        return decisions.map { ServiceDecision(decision: $0, degraded: true, degradedReason: "\(reason); \(how)") }
    }

    /// Asks the chat model about ambiguous decisions, and unmatched ones just below the threshold.
    private func settle(
        _ decisions: [MatchDecision], messages: [String], topK: Int?, with disambiguator: LLMDisambiguator, matcher: Matcher,
        within remaining: Duration
    ) async -> [MatchDecision] {
        var open = decisions.indices.filter { i in
            let d = decisions[i]
            // An out-of-scope example turned it away: the corpus says it has no answer.
            guard let score = d.score, d.outOfScope == nil else { return false }
            return d.status == .ambiguous
                || (d.status == .unmatched && Float(score) >= matcher.policy.threshold - disambiguator.band)
        }
        guard !open.isEmpty, remaining > .zero else { return decisions }
        var settled = decisions
        // Close calls the model already settled are answered from memory, never paid twice.
        let keys = open.map { Matcher.DecisionKey(message: messages[$0], topK: topK) }
        if let remembered = settledByModel?.values(for: keys) {
            for (i, decision) in zip(open, remembered) { if let decision { settled[i] = decision } }
            open = zip(open, remembered).filter { $0.1 == nil }.map(\.0)
        }
        // At most `maxCallsPerRequest` paid calls per request (a batch of 100 close calls would be 100).
        open = Array(open.prefix(disambiguator.maxCallsPerRequest))
        guard !open.isEmpty else { return settled }
        await withTaskGroup(of: (Int, MatchDecision?).self) { group in
            for i in open {
                group.addTask {
                    let d = decisions[i]
                    // Only plausible entries are offered: a far-off candidate is never a safe answer.
                    let floor = Double(matcher.policy.threshold - disambiguator.band)
                    let candidates = d.candidates.filter { $0.score >= floor }.prefix(disambiguator.candidates)
                        .map { (id: $0.id, question: $0.question) }
                    guard !candidates.isEmpty else { return (i, nil) }
                    let started = DispatchTime.now().uptimeNanoseconds
                    guard
                        let chosen = try? await Deadline.run(
                            remaining,
                            {
                                try await disambiguator.choose(message: messages[i], among: Array(candidates))
                            }),
                        let entry = matcher.corpus.entry(id: chosen)
                    else { return (i, nil) }
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                    var decision = d
                    decision.status = .matched
                    decision.id = entry.id
                    decision.answer(with: entry)
                    decision.choices = []
                    decision.method = .llm
                    decision.matchedQuestion = candidates.first { $0.id == chosen }?.question
                    decision.reason =
                        "\(d.status.rawValue) between \(candidates.map(\.id).joined(separator: ", ")); \(disambiguator.model.name) chose '\(chosen)' (\(Int(ms)) ms)"
                    return (i, decision)
                }
            }
            var fresh: [(Matcher.DecisionKey, MatchDecision)] = []
            for await (i, decision) in group {
                guard let decision else { continue }
                settled[i] = decision
                fresh.append((Matcher.DecisionKey(message: messages[i], topK: topK), decision))
            }
            settledByModel?.insert(fresh)
        }
        return settled
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
