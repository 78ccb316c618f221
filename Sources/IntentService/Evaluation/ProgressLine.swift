import Foundation
import IntentCore

/// A progress line on standard error when it is a terminal: count, rate and ETA.
final class ProgressLine: Sendable {
    let label: String
    let total: Int
    let started = Date()
    let enabled = isatty(2) == 1
    private let lastDraw = Locked(Date.distantPast)

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        let draw = lastDraw.withLock { last -> Bool in
            guard now.timeIntervalSince(last) > 0.1 || done == total else { return false }
            last = now
            return true
        }
        guard draw else { return }
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(
            Data(String(format: "\r%@ [%@] %d/%d  %.0f/s  ETA %.0fs ", label, bar, done, total, rate, eta).utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
