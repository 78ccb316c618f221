import Foundation
import IntentChannels
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `serve` with the web chat on (`INTENT_WEBCHAT_SITES`) and the sample corpus: a visitor
/// answered with what `/match` decides, read back from the messages route and the event stream;
/// a flow's list as buttons whose tap runs the next step; and the widget itself, embedded in a
/// page of another origin, driven in headless Chromium.
@Suite(.serialized) struct WebChatServeTests {
    static let corpus = MatchCommandTests.root.path + "/corpus"

    static func environment(_ folder: TemporaryDirectory, origin: String) -> [String: String] {
        [
            "INTENT_STATE": "sqlite:" + folder.file("state.sqlite"),
            "INTENT_WEBCHAT_SITES": #"{"shop": {"origins": ["\#(origin)"]}}"#,
        ]
    }

    /// A call as the widget makes it: with the page's `Origin`.
    static func call(_ port: Int, _ path: String, origin: String, body: [String: Any]? = nil) async throws -> (Int, [String: Any], String?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.setValue(origin, forHTTPHeaderField: "Origin")
        if let body {
            request.httpMethod = "POST"
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, json, http.value(forHTTPHeaderField: "Access-Control-Allow-Origin"))
    }

    @Test func aVisitorIsAnsweredThroughTheMessagesAndTheEventStream() async throws {
        let folder = try TemporaryDirectory("webchat-serve")
        let origin = "https://shop.example.com"
        try await ServedInProcess.run(
            ["--corpus", Self.corpus, "--embedder", "lexical"], environment: Self.environment(folder, origin: origin)
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let client = ServeCommandTests()
            let ready = try await client.request(port, "/readyz").1
            let channels = try #require(ready["channels"] as? [String: [String: Any]])
            #expect(channels["webchat"]?["status"] as? String == "ok")

            let question = "How long does shipping take?"
            let answer = try #require(try await client.request(port, "/match", method: "POST", body: ["message": question]).1["answer"] as? String)
            let (status, posted, allowed) = try await Self.call(port, "/v1/webchat/shop/messages", origin: origin, body: ["text": question])
            #expect(status == 202 && allowed == origin)
            let visitor = try #require(posted["visitor"] as? String)
            var shown: [[String: Any]] = []
            try await eventually("the answer is in the visitor's messages") {
                shown =
                    try await Self.call(port, "/v1/webchat/shop/messages?visitor=\(visitor)", origin: origin).1["messages"] as? [[String: Any]] ?? []
                return shown.contains { $0["text"] as? String == answer }
            }
            #expect(shown.first?["direction"] as? String == "in" && shown.first?["text"] as? String == question)
            let last = try #require(shown.last { $0["direction"] as? String == "out" }?["id"] as? String)

            // The event stream from there on: a flow's list comes as buttons; a tap runs the flow on.
            let stream = try EventStreamClient(
                port: port, path: "/v1/webchat/shop/events?visitor=\(visitor)&after=\(last)", headers: ["Origin": origin])
            defer { stream.close() }
            try await eventually("the stream is open") { stream.status != nil }
            #expect(stream.status == 200 && stream.headers["access-control-allow-origin"] == origin)
            // Counted apart from the consoles.
            let metrics = String(decoding: try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!).0, as: UTF8.self)
            #expect(metrics.contains("intent_webchat_streams 1") && metrics.contains("intent_events_consoles 0"), "\(metrics)")
            #expect(try await Self.call(port, "/v1/webchat/shop/messages", origin: origin, body: ["text": "recommend", "visitor": visitor]).0 == 202)
            var buttons: [[String: Any]] = []
            try await eventually("the list streamed") {
                buttons = stream.events.compactMap { $0.fields["buttons"] as? [[String: Any]] }.last ?? []
                return !buttons.isEmpty
            }
            #expect(buttons.compactMap { $0["title"] as? String }.contains("Shoes 鞋履"))
            let shoes = try #require(buttons.first { $0["title"] as? String == "Shoes 鞋履" }?["id"] as? String)
            #expect(try await Self.call(port, "/v1/webchat/shop/messages", origin: origin, body: ["choice": shoes, "visitor": visitor]).0 == 202)
            try await eventually("the flow's next step streamed") {
                stream.events.contains { ($0.fields["text"] as? String)?.hasPrefix("Try the Cloud Walk sneakers") == true }
            }
            // Only messages sent to the visitor, each once, in order.
            let ids = stream.events.compactMap(\.id)
            #expect(Set(ids).count == ids.count && ids == ids.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! })
            #expect(stream.events.allSatisfy { $0.type == "message" && $0.fields["direction"] as? String == "out" })

        }
    }

    /// The widget on a shop's page served from another origin: the bubble opens the panel, a
    /// typed question gets the FAQ's answer, a flow's list is buttons and a tap answers.
    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func theWidgetOnAnotherOriginsPageAnswersAndTakesButtonTaps() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let folder = try TemporaryDirectory("webchat-browser")
        let site = try TemporaryDirectory("webchat-site")
        let shop = try await BlockingIO.run { UncheckedSendable(try FakeProviderProcess.launchStaticSite(directory: site.path)) }.value
        defer { shop.process.terminate() }
        let origin = "http://127.0.0.1:\(shop.port)"
        try await ServedInProcess.run(
            ["--corpus", Self.corpus, "--embedder", "lexical"], environment: Self.environment(folder, origin: origin)
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let question = "How long does shipping take?"
            let answer = try #require(
                try await ServeCommandTests().request(port, "/match", method: "POST", body: ["message": question]).1["answer"] as? String)
            try """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <script>window.firstPaint = 0; new PerformanceObserver(l => l.getEntries().forEach(e => { if (e.name === 'first-contentful-paint') window.firstPaint = e.startTime; })).observe({type: 'paint', buffered: true});</script>
            <title>Lumen & Co.</title></head>
            <body><h1>Lumen &amp; Co.</h1><p>Our shop.</p>
            <script src="http://127.0.0.1:\(port)/widget.js" data-site="shop" defer></script>
            </body></html>
            """.write(toFile: site.file("index.html"), atomically: true, encoding: .utf8)

            let root = "document.getElementById('intent-webchat').shadowRoot"
            let outs = "[...\(root).querySelectorAll('.msg.out')]"
            let steps: [[String: Any]] = [
                ["until": "document.getElementById('intent-webchat') !== null"],
                [
                    "eval":
                        "window.alerted = 0; window.alert = () => { window.alerted++; }; \(root).querySelector('.bubble').click(); \(root).querySelector('.panel').hidden"
                ],
                // 2: the panel is open and the question box has the focus.
                ["until": "\(root).activeElement && \(root).activeElement.tagName"],
                ["type": question],
                ["key": "Enter"],
                // 5: the visitor's message, then the FAQ's answer, as text.
                ["until": "\(outs).some(m => m.textContent === \(try Self.javaScript(answer)))", "timeout": 120],
                ["eval": "localStorage.getItem('intent-webchat:shop:visitor')"],
                ["type": "recommend"],
                ["key": "Enter"],
                // 9: the flow's list as buttons; tapped.
                [
                    "until": "(b => b.length >= 5 && b.map(x => x.textContent).join('|'))([...\(root).querySelectorAll('.choices button')])",
                    "timeout": 120,
                ],
                ["eval": "[...\(root).querySelectorAll('.choices button')].find(b => b.textContent === 'Shoes 鞋履').click(); true"],
                ["until": "\(outs).some(m => m.textContent.startsWith('Try the Cloud Walk sneakers'))", "timeout": 120],
                // 12: what the visitor saw, and how soon the page painted.
                [
                    "eval":
                        "JSON.stringify({ins: [...\(root).querySelectorAll('.msg.in')].map(m => m.textContent), last: [...\(root).querySelectorAll('.msg')].slice(-2).map(m => m.className + ': ' + m.textContent.slice(0, 18)), cookies: document.cookie, paint: window.firstPaint, widget: performance.getEntriesByName('http://127.0.0.1:\(port)/widget.js')[0]?.duration ?? -1})"
                ],
                // 13: on a phone the panel fills the screen.
                ["viewport": [390, 844]],
                ["eval": "(r => Math.round(r.width))(\(root).querySelector('.panel').getBoundingClientRect())"],
                // 15: markup a visitor types stays text, in their bubble and in the widget's words.
                ["type": Self.hostile],
                ["key": "Enter"],
                [
                    "until":
                        "(m => m.length === 4 && m[3].textContent === \(try Self.javaScript(Self.hostile)))([...\(root).querySelectorAll('.msg.in')])"
                ],
                [
                    "eval":
                        "JSON.stringify({images: \(root).querySelectorAll('img').length + document.querySelectorAll('img').length, alerted: window.alerted, placeholder: \(root).querySelector('textarea').placeholder})"
                ],
            ]
            let stepsFile = folder.file("steps.json")
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            let run = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, origin + "/index.html", stepsFile])
            #expect(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            func value(_ step: Int) -> Any? { lines.first { $0["step"] as? Int == step }?["value"] }
            #expect(value(1) as? Bool == false)
            #expect(value(2) as? String == "TEXTAREA", "\(run.output)")
            #expect(WebChatVisitor.isWellFormed(value(6) as? String ?? ""), "\(run.output)")
            let seen = try JSONSerialization.jsonObject(with: Data((value(12) as? String ?? "{}").utf8)) as? [String: Any] ?? [:]
            #expect(seen["ins"] as? [String] == [question, "recommend", "Shoes 鞋履"], "\(seen)")
            // The tap shows at once, above its answer, however soon the answer streams in.
            #expect(seen["last"] as? [String] == ["msg in: Shoes 鞋履", "msg out: Try the Cloud Walk"], "\(seen)")
            #expect(seen["cookies"] as? String == "")
            #expect(value(14) as? Int == 390, "\(run.output)")
            let hostile = try JSONSerialization.jsonObject(with: Data((value(18) as? String ?? "{}").utf8)) as? [String: Any] ?? [:]
            #expect(hostile["images"] as? Int == 0 && hostile["alerted"] as? Int == 0, "\(hostile)")
            #expect(hostile["placeholder"] as? String == "Type your question", "the page is in English: \(hostile)")

            // A browser without EventSource (or a proxy that breaks it) polls; a Spanish page gets Spanish words.
            try """
            <!doctype html>
            <html lang="es"><head><meta charset="utf-8"><script>window.EventSource = undefined;</script><title>Tienda</title></head>
            <body><script src="http://127.0.0.1:\(port)/widget.js" data-site="shop" defer></script></body></html>
            """.write(toFile: site.file("poll.html"), atomically: true, encoding: .utf8)
            let polling: [[String: Any]] = [
                ["until": "document.getElementById('intent-webchat') !== null"],
                ["eval": "\(root).querySelector('.bubble').click(); \(root).querySelector('textarea').placeholder"],
                ["until": "\(root).activeElement && \(root).activeElement.tagName"],
                ["type": question],
                ["key": "Enter"],
                ["until": "\(outs).some(m => m.textContent === \(try Self.javaScript(answer)))", "timeout": 120],
            ]
            let pollingFile = folder.file("polling.json")
            try JSONSerialization.data(withJSONObject: polling).write(to: URL(fileURLWithPath: pollingFile))
            let polled = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, origin + "/poll.html", pollingFile])
            #expect(polled.status == 0, "\(polled.output)")
            #expect(polled.output.contains(#""value": "Escribe tu pregunta""#), "\(polled.output)")
            print("webchat widget: first contentful paint \(seen["paint"] ?? "?") ms, widget.js loaded in \(seen["widget"] ?? "?") ms")
        }
    }

    static let hostile = "<img src=x onerror=alert(1)><b>hi</b>"

    static func javaScript(_ text: String) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}
