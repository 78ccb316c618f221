import Foundation
import IntentChannels
import IntentCore
import Logging
import Testing

@testable import IntentService

/// The flow file in the service: its settings, and a load that reads it with the corpus.
@Suite struct FlowSettingsTests {
    static let faq = #"{"id": "order_status", "questions": ["where is my order", "order status"], "answer": "Send your order number."}"# + "\n"
    static let flows = """
        flows:
          order:
            trigger: {entry: order_status}
            start: ask
            steps:
              ask:    {ask: "Order number?", save: order, next: lookup}
              lookup: {webhook: {setting: order_lookup_url}, next: status, error: sorry}
              status: {say: "Your order is {{webhook.status}}.", end: true}
              sorry:  {handover: "Let me pass you to a colleague."}
        """

    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "intent-flows-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.faq.write(toFile: dir + "/faq.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> ServiceConfiguration {
        let layers = try ConfigurationLayers(configFile: nil, flags: [.embedder: "lexical"], environment: environment)
        return try ServiceConfiguration(layers)
    }

    @Test func theSettingsComeFromTheLayersAndTheCorpusDirectory() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try configuration(["INTENT_CORPUS": dir]).flows.path == nil)
        try Self.flows.write(toFile: dir + "/flows.yml", atomically: true, encoding: .utf8)
        #expect(try configuration(["INTENT_CORPUS": dir]).flows.path == dir + "/flows.yml")
        try Self.flows.write(toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        let found = try configuration(["INTENT_CORPUS": dir + "/faq.jsonl"]).flows
        #expect(found.path == dir + "/flows.yaml" && !found.pathIsExplicit)
        let named = try configuration([
            "INTENT_CORPUS": dir, "INTENT_FLOWS": "/elsewhere/flows.yaml", "INTENT_FLOW_WEBHOOK_SECRET": "s3cret",
            "INTENT_ORDER_LOOKUP_URL": "https://erp.example/orders",
        ]).flows
        #expect(named.path == "/elsewhere/flows.yaml" && named.pathIsExplicit)
        #expect(named.webhookSecret == "s3cret")
        #expect(named.urls == ["order_lookup_url": "https://erp.example/orders"])
        #expect(named.paths(importing: [dir]) == ["/elsewhere/flows.yaml"])
        #expect(found.paths(importing: [dir, dir + "/faq.jsonl"]) == [dir + "/flows.yaml"])
        #expect(Setting.flowWebhookSecret.isSecret)
        #expect(throws: ConfigurationError.self) { try configuration(["INTENT_LEAD_CAPTURE_URL": "crm.example/leads"]) }
        do {
            _ = try configuration(["INTENT_LEAD_CAPTURE_URL": "crm.example/leads"])
        } catch {
            #expect(error.description == "INTENT_LEAD_CAPTURE_URL: 'crm.example/leads' is not an http(s) URL")
        }
        do {
            _ = try configuration(["INTENT_FLOW_WEBHOOK_SECRET": "line\nbreak"])
            Issue.record("a secret with a line break must be refused")
        } catch {
            #expect(error.description == "INTENT_FLOW_WEBHOOK_SECRET: contains a control character (a line break?)")
            #expect(!error.description.contains("line\nbreak"))
        }
    }

    @Test func aLoadReadsTheFlowsAndABadFileKeepsTheOnesInService() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.flows.write(toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        let environment = ["INTENT_CORPUS": dir, "INTENT_STATE": "sqlite:\(dir)/state.sqlite"]
        let factory = ServiceFactory(try configuration(environment), logger: Logger(label: "test"))
        #expect(factory.flows.current.set == .none)
        _ = try await factory.loadService()
        let loaded = factory.flows.current.set
        #expect(loaded.flows.map(\.id) == ["order"])
        #expect(loaded.flows.first?.steps["lookup"]?.kind == .webhook(url: "", next: "status", error: "sorry"))
        #expect(loaded.warnings.count == 1 && loaded.warnings[0].contains("order_lookup_url is not set"))

        // A problem fails the load with every problem; the flows in service stay.
        try Self.flows.replacingOccurrences(of: "next: status", with: "next: nowhere").write(
            toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        do {
            _ = try await factory.loadService()
            Issue.record("a flow file with a problem must fail the load")
        } catch let error as FlowsError {
            #expect(
                error.problems == [
                    "\(dir)/flows.yaml:7: flows.order.steps.lookup: 'nowhere' is not a step of the flow; steps: ask, lookup, status, sorry",
                    "\(dir)/flows.yaml:8: flows.order.steps.status: unreachable: no step leads here from 'ask'; link it or remove it",
                ])
        }
        #expect(factory.flows.current.set == loaded)

        // A keyword a `before` rule of the corpus claims is a problem of the load too.
        try "rules:\n  - {id: human, mode: contains_any, patterns: [human], answer: One moment., stage: before}\n".write(
            toFile: dir + "/rules.yaml", atomically: true, encoding: .utf8)
        try Self.flows.replacingOccurrences(of: "{entry: order_status}", with: "{keyword: [human]}").write(
            toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        await #expect(throws: FlowsError.self) { _ = try await factory.loadService() }

        // With the setting, the step has its URL; without a file, no flows.
        let withURL = ServiceFactory(
            try configuration(environment.merging(["INTENT_ORDER_LOOKUP_URL": "https://erp.example/orders"]) { $1 }), logger: Logger(label: "test"))
        try Self.flows.write(toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        _ = try await withURL.loadService()
        #expect(
            withURL.flows.current.set.flows.first?.steps["lookup"]?.kind
                == .webhook(url: "https://erp.example/orders", next: "status", error: "sorry"))
        #expect(withURL.flows.current.set.warnings.isEmpty)
        try FileManager.default.removeItem(atPath: dir + "/flows.yaml")
        let none = ServiceFactory(try configuration(environment), logger: Logger(label: "test"))
        _ = try await none.loadService()
        #expect(none.flows.current.set == .none)
    }
}
