import Foundation
import IntentChannels
import Testing

/// The flow document as JSON (for the console's builder) reads back as the same flows.
@Suite struct FlowDocumentJSONTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("corpus/flows.yaml").path

    /// The flows without the lines they were read from.
    func lineless(_ set: FlowSet) -> [Flow] {
        set.flows.map { flow in
            var flow = flow
            flow.line = 0
            flow.steps = flow.steps.mapValues { step in
                var step = step
                step.line = 0
                return step
            }
            return flow
        }
    }

    @Test func theSampleFlowsSurviveTheRoundTrip() throws {
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        let json = try FlowFile.json(text)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["flows"] as? [String: Any])?.count == 3)
        let urls = ["order_lookup_url": "https://shop.example/lookup"]
        let original = try FlowFile.parse(text, file: "flows.yaml", urls: urls)
        let again = try FlowFile.parse(json, file: "flows.yaml", urls: urls)
        #expect(lineless(again) == lineless(original))
        #expect(again.stopWords == original.stopWords && again.stopReply == original.stopReply)
        #expect(again.flows.map(\.order) == original.flows.map(\.order), "steps keep the order written")
    }

    @Test func scalarsKeepWhatTheReaderMakesOfThem() throws {
        let text = """
            stop: []
            flows:
              f:
                interrupts: true
                trigger: {keyword: ["a \\"quoted\\" word", '100']}
                start: w
                steps:
                  w: {wait: 5, next: s}
                  s: {say: "line one\\nline two\\ttab", next: e}
                  e: {end: true}
                  n: ~
            """
        let json = try FlowFile.json(text)
        #expect(json.contains(#""interrupts": true"#) && json.contains(#""wait": 5"#) && json.contains(#""100""#) && json.contains(#""n": null"#))
        #expect(try FlowFile.json("") == "{}")
        #expect(throws: FlowFile.Invalid.self) { try FlowFile.json("flows: [unclosed") }
        // The same problems, from either text.
        let problems = { (text: String) -> [String] in
            do {
                _ = try FlowFile.parse(text, file: "flows.yaml")
                return []
            } catch let error as FlowFile.Invalid {
                return error.problems.map { $0.replacingOccurrences(of: #"flows\.yaml:[0-9]+"#, with: "flows.yaml:L", options: .regularExpression) }
            } catch {
                return ["\(error)"]
            }
        }
        #expect(problems(json) == problems(text))
        #expect(!problems(text).isEmpty)
    }
}
