import Foundation
import IntentCore
package import IntentHTTP
package import Logging

/// Something a provider call did, for metrics and logs (never carries a key).
package struct ProviderEvent: Sendable {
    package enum Kind: String, Sendable { case success, retry, failure, circuitOpen = "circuit_open" }
    package var provider: String
    package var kind: Kind
    /// HTTP status, or nil for transport failures and rejections by the breaker.
    package var status: Int?
    package var seconds: Double
}

/// Where a provider's HTTP calls go: one place for the base URL, the key, timeouts,
/// retries and the circuit breaker. Every provider request in IntentService passes
/// through `call`.
package struct ProviderEndpoint: Sendable {
    package var name: String
    package var baseURL: String
    package var key: Secret?
    /// Per attempt.
    package var timeout: Duration
    package var retry: RetryPolicy
    package let breaker: CircuitBreaker
    package let transport: any HTTPTransport
    package var logger: Logger
    package var observe: @Sendable (ProviderEvent) -> Void

    package init(
        name: String, baseURL: String, key: Secret?, timeout: Duration = .seconds(10), retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker = CircuitBreaker(), transport: any HTTPTransport, logger: Logger = Logger(label: "intent-service.provider"),
        observe: @escaping @Sendable (ProviderEvent) -> Void = { _ in }
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key
        self.timeout = timeout
        self.retry = retry
        self.breaker = breaker
        self.transport = transport
        self.logger = logger
        self.observe = observe
    }

    /// Sends a request, retrying what the policy says is worth retrying. Returns a 2xx
    /// response; throws `ProviderError` otherwise, or `CancellationError` when the caller
    /// gave up (its deadline passed).
    /// - Parameter watcher: a fresh one per call (it reads one answer); it may end a stream early.
    package func call(
        _ method: String, _ path: String, json: Any? = nil, query: [String: String] = [:],
        watcher: @autoclosure () -> (any ResponseWatcher)? = nil
    ) async throws -> HTTPResponseData {
        var url = baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            url += "?" + (components.percentEncodedQuery ?? "")
        }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let key { headers.append(("Authorization", "Bearer \(key.value)")) }
        var body: [UInt8]?
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = Array(try JSONSerialization.data(withJSONObject: json, options: [.withoutEscapingSlashes]))
        }
        var attempt = 0
        while true {
            if let wait = breaker.permit() {
                observe(ProviderEvent(provider: name, kind: .circuitOpen, status: nil, seconds: 0))
                throw ProviderError.circuitOpen(provider: name, retryIn: wait)
            }
            try Task.checkCancellation()
            let started = Date()
            let response: HTTPResponseData
            do {
                response = try await transport.send(
                    HTTPRequestSpec(method: method, url: url, headers: headers, body: body, timeout: timeout, watcher: watcher()))
            } catch let error as HTTPClientError {
                if error == .cancelled || Task.isCancelled { throw CancellationError() }
                breaker.recordFailure()
                let seconds = Date().timeIntervalSince(started)
                let worthRetrying: Bool
                if case .responseTooLarge = error { worthRetrying = false } else { worthRetrying = true }
                if worthRetrying, case .retry(let after) = retry.verdict(status: nil, code: nil, headers: [:], attempt: attempt) {
                    observe(ProviderEvent(provider: name, kind: .retry, status: nil, seconds: seconds))
                    logger.warning("provider call failed; retrying", metadata: ["provider": "\(name)", "error": "\(error)", "in": "\(after)"])
                    try await Task.sleep(for: after)
                    attempt += 1
                    continue
                }
                observe(ProviderEvent(provider: name, kind: .failure, status: nil, seconds: seconds))
                throw ProviderError.transport(provider: name, error)
            }
            let seconds = Date().timeIntervalSince(started)
            if (200..<300).contains(response.status) {
                breaker.recordSuccess()
                observe(ProviderEvent(provider: name, kind: .success, status: response.status, seconds: seconds))
                return response
            }
            let (code, message) = ProviderError.details(of: response.body)
            // Only the provider's own troubles count against it: a bad key or request is ours.
            if response.status == 429 || response.status >= 500 { breaker.recordFailure() }
            let error = ProviderError.http(
                provider: name, status: response.status, code: code,
                message: key.map { $0.scrub(message ?? "no message") } ?? (message ?? "no message"),
                requestID: response.headers["x-request-id"] ?? response.headers["x-tt-logid"])
            if case .retry(let after) = retry.verdict(status: response.status, code: code, headers: response.headers, attempt: attempt) {
                observe(ProviderEvent(provider: name, kind: .retry, status: response.status, seconds: seconds))
                logger.warning(
                    "provider answered an error; retrying",
                    metadata: ["provider": "\(name)", "status": "\(response.status)", "in": "\(after)"])
                try await Task.sleep(for: after)
                attempt += 1
                continue
            }
            observe(ProviderEvent(provider: name, kind: .failure, status: response.status, seconds: seconds))
            throw error
        }
    }

    /// Decodes a JSON object answer, tolerating leading whitespace (DeepSeek keeps slow
    /// connections alive with blank lines before the JSON).
    package func object(_ response: HTTPResponseData) throws -> [String: Any] {
        let start = response.body.firstIndex { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } ?? response.body.endIndex
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body[start...])) as? [String: Any] else {
            throw ProviderError.malformed(provider: name, "not a JSON object (\(response.body.count) bytes)")
        }
        return object
    }
}
