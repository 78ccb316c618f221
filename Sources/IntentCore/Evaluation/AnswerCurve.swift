/// Answered-right against answered-wrong: every policy of the calibration grid replayed on the
/// questions, and the ones no other beats. "Answered wrong" is an answer with another entry, or
/// any answer to a question that should have none; both are shares of all questions, so an
/// unanswered question counts in neither. A policy change is a gain only when it moves the
/// served point up this curve, not along it.
public struct AnswerCurve: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        public var threshold: Double
        public var margin: Double
        /// The policy's `ownScoreFloor` (nil: none).
        public var ownScoreFloor: Double?
        /// Share of all questions answered with the expected entry.
        public var answeredRight: Double
        /// Share of all questions answered when they should not have been, or with another entry.
        public var answeredWrong: Double
    }

    /// The most answered right at no more than `maxAnsweredWrong` answered wrong.
    public struct Budget: Codable, Sendable, Equatable {
        public var maxAnsweredWrong: Double
        /// nil: every policy of the grid answers more wrong than that.
        public var best: Point?
    }

    /// The answered-wrong budgets the curve is read at.
    public static let budgets: [Double] = [0.01, 0.02, 0.05, 0.1]

    /// The policies no other answers more right at no more wrong, by answered-wrong ascending.
    public var frontier: [Point]
    public var atBudgets: [Budget]
    /// The policy served (the configured one, or the tuned one).
    public var served: Point
}

extension AnswerCurve {
    /// One replayed policy as counts: ranking on counts keeps rounding out of the frontier.
    struct Tally {
        var policy: MatchPolicy
        var right: Int
        var wrong: Int
    }

    /// The curve of `tallies` (every policy of a grid) over `questions` questions, `served` among them or not.
    init(_ tallies: [Tally], served: Tally, questions: Int) {
        let n = Double(max(questions, 1))
        func point(_ t: Tally) -> Point {
            Point(
                threshold: Double(rounding: t.policy.threshold), margin: Double(rounding: t.policy.margin),
                ownScoreFloor: t.policy.ownScoreFloor.map { Double(rounding: $0) },
                answeredRight: EvaluationReport.round(Double(t.right) / n), answeredWrong: EvaluationReport.round(Double(t.wrong) / n))
        }
        // Fewest wrong first; among equals the most right, then the most cautious policy (as the sweep breaks ties).
        let ordered = tallies.sorted {
            ($0.wrong, -$0.right, -$0.policy.threshold, -$0.policy.margin, -($0.policy.ownScoreFloor ?? .infinity))
                < ($1.wrong, -$1.right, -$1.policy.threshold, -$1.policy.margin, -($1.policy.ownScoreFloor ?? .infinity))
        }
        var frontier: [Tally] = []
        for t in ordered where t.right > (frontier.last?.right ?? -1) { frontier.append(t) }
        self.frontier = frontier.map(point)
        atBudgets = Self.budgets.map { budget in
            // The budget in questions, with room for the rounding of budget × n.
            let allowed = frontier.last { Double($0.wrong) <= budget * Double(questions) + 1e-9 }
            return Budget(maxAnsweredWrong: budget, best: allowed.map(point))
        }
        self.served = point(served)
    }

    /// The most answered right the curve reaches at no more answered wrong than `wrong` (nil: none does).
    public func bestAnsweredRight(atMostWrong wrong: Double) -> Point? {
        frontier.last { $0.answeredWrong <= wrong }
    }
}
