/// The WhatsApp Cloud API's codes, sorted into worth a retry and never.
extension GraphError {
    /// Codes worth another try: temporary errors, throughput and pair-rate limits.
    package static let retryableCodes: Set<Int> = [1, 2, 4, 80_007, 130_429, 131_000, 131_016, 131_056, 133_004]
    /// Codes that never succeed on retry: outside the 24-hour window, not on WhatsApp,
    /// ecosystem limits, blocked account, expired or invalid token.
    package static let permanentCodes: Set<Int> = [131_047, 131_026, 131_050, 368, 190]

    package var isRetryable: Bool {
        if let code {
            if Self.permanentCodes.contains(code) { return false }
            if Self.retryableCodes.contains(code) { return true }
        }
        guard let status else { return true }  // no answer at all: the network, try again
        return status >= 500 || status == 429
    }
}
