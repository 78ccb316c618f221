/// The satisfaction survey's figures from the channel's counters: questions asked, answers by
/// score, and their mean.
package struct SatisfactionFigures: Sendable, Equatable, Encodable {
    package var asked: Int
    package var answered: Int
    /// By score, `"1"` to `"5"`, zeros included.
    package var scores: [String: Int]
    /// Nil before the first answer.
    package var average: Double?

    package init(_ statistics: ChannelStatistics) {
        asked = statistics.triggers[Trigger.csat("asked").key]?.count ?? 0
        var scores: [String: Int] = [:]
        var total = 0
        for score in SatisfactionSurvey.scores {
            let count = statistics.triggers[Trigger.csat(String(score)).key]?.count ?? 0
            scores[String(score)] = count
            total += score * count
        }
        self.scores = scores
        answered = scores.values.reduce(0, +)
        average = answered == 0 ? nil : Double(total) / Double(answered)
    }
}
