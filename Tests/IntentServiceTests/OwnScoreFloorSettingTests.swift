import Foundation
import IntentCore
import Testing

@testable import IntentService

/// `own_score_floor`: off unless set, a number of deviations, or a clear error.
@Suite struct OwnScoreFloorSettingTests {
    func policy(_ environment: [String: String], flags: [Setting: String] = [:]) throws(ConfigurationError) -> MatchPolicy {
        var flags = flags
        flags[.embedder] = "lexical"
        return try ServiceConfiguration(ConfigurationLayers(configFile: nil, flags: flags, environment: environment)).policy
    }

    @Test func offUnlessSetAndANumberWhenSet() throws {
        #expect(try policy([:]).ownScoreFloor == nil)
        #expect(try policy(["INTENT_OWN_SCORE_FLOOR": "off"]).ownScoreFloor == nil)
        #expect(try policy(["INTENT_OWN_SCORE_FLOOR": "1.5"]).ownScoreFloor == 1.5)
        #expect(try policy(["INTENT_OWN_SCORE_FLOOR": "1.5"], flags: [.ownScoreFloor: "off"]).ownScoreFloor == nil, "the flag wins")
    }

    @Test func aBadValueNamesWhereItCameFrom() {
        for bad in ["high", "-1", "11"] {
            #expect {
                try policy(["INTENT_OWN_SCORE_FLOOR": bad])
            } throws: { error in
                "\(error)".contains("INTENT_OWN_SCORE_FLOOR: '\(bad)' is not a number in 0.0...10.0")
            }
        }
    }
}
