import Foundation
import Testing

@testable import IntentServer

@Suite struct RequestIDTests {
    @Test func newIDsAreDistinctLowerCaseVersion4UUIDs() {
        let ids = (0..<1_000).map { _ in RequestID.newID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(UUID(uuidString: id) != nil, "\(id)")
            #expect(id == id.lowercased())
            let characters = Array(id)
            #expect(characters.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { characters[$0] == "-" }, "\(id)")
            #expect(characters[14] == "4", "version 4: \(id)")
            #expect("89ab".contains(characters[19]), "RFC 4122 variant: \(id)")
        }
    }
}
