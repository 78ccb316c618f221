import Foundation
import IntentCore

/// When and how long to wait before trying a failed provider call again, after the
/// official OpenAI SDK: retry connection errors, 408, 409, 429 and 5xx (never
/// 400/401/402/403/404/422 nor `insufficient_quota`), honour `retry-after-ms` /
/// `Retry-After` up to `maxRetryAfter` (longer: give up), else back off
/// exponentially with jitter. An `x-should-retry` header overrides the status.
package struct RetryPolicy: Sendable {
    package var maxRetries = 2
    package var initialBackoff: Duration = .milliseconds(500)
    package var maxBackoff: Duration = .seconds(8)
    package var maxRetryAfter: Duration = .seconds(60)

    package init() {}

    package enum Verdict: Equatable, Sendable {
        case retry(after: Duration)
        case giveUp
    }

    /// The verdict for a failed attempt (`attempt` counts from 0).
    package func verdict(
        status: Int?, code: String?, headers: [String: String], attempt: Int, random: Double = .random(in: 0.75...1)
    )
        -> Verdict
    {
        guard attempt < maxRetries else { return .giveUp }
        if let override = headers["x-should-retry"] {
            if override == "false" { return .giveUp }
        } else if let status {
            guard [408, 409, 429].contains(status) || status >= 500, code != "insufficient_quota" else { return .giveUp }
        }
        if let wait = Self.retryAfter(headers) {
            return wait <= maxRetryAfter ? .retry(after: wait) : .giveUp
        }
        let backoff = Backoff(first: Self.seconds(initialBackoff), limit: Self.seconds(maxBackoff))
        return .retry(after: backoff.duration(attempt: attempt + 1, jitter: random))
    }

    /// `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date). Whatever
    /// the server sends (`inf`, `nan`, `1e300`, negative), the delay is clamped before it
    /// becomes a `Duration`: a provider cannot crash the process with a header.
    static func retryAfter(_ headers: [String: String], now: Date = Date()) -> Duration? {
        if let ms = headers["retry-after-ms"].flatMap(Double.init), ms >= 0 { return bounded(milliseconds: ms) }
        guard let value = headers["retry-after"] else { return nil }
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return bounded(milliseconds: seconds * 1_000)
        }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = format.date(from: value) else { return nil }
        return bounded(milliseconds: max(0, date.timeIntervalSince(now)) * 1_000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A day at most (longer than any `maxRetryAfter`, so it still means "give up"); nil for NaN.
    static func bounded(milliseconds: Double) -> Duration? {
        guard !milliseconds.isNaN else { return nil }
        return .milliseconds(Int64(min(max(milliseconds, 0), 86_400_000)))
    }
}
