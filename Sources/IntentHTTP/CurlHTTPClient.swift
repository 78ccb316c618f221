import CCurl
import Foundation
import IntentCore

/// An HTTP client over libcurl whose blocking transfers run on worker threads of
/// its own, never on Swift concurrency's cooperative pool.
///
/// Invariants:
/// - Each worker owns one easy handle and is the only thread that touches it; the
///   handle keeps its connections alive between requests (keep-alive).
/// - A request goes to the most recently idle worker, so sequential requests to
///   one host reuse the same warm connection (`connectionsOpened` stays at 1).
/// - Cancelling the calling task aborts the transfer from libcurl's progress
///   callback; the timeout bounds the whole transfer.
package final class CurlHTTPClient: HTTPTransport, @unchecked Sendable {
    package struct Configuration: Sendable {
        package var workers = 4
        package var connectTimeout: Duration = .seconds(5)
        /// The largest answer read. A full embeddings batch is big: 2,048 texts × 3,072
        /// dimensions (text-embedding-3-large) at ~13 characters per float is about 80 MB of JSON.
        package var maxResponseBytes = 128 * 1024 * 1024
        /// A CA bundle file for TLS verification (default: the system's). Verification is always on.
        package var caBundle: String?

        package init() {}
    }

    package let configuration: Configuration
    private let lock = NSLock()
    private var idle: [Worker] = []
    private var queue: [Job] = []
    private var workers: [Worker] = []
    private let opened = Locked(0)

    package init(configuration: Configuration = Configuration()) {
        CurlGlobal.initialize()
        self.configuration = configuration
        for index in 0..<max(1, configuration.workers) {
            let worker = Worker(index: index, client: self)
            workers.append(worker)
            idle.append(worker)
            worker.start()
        }
    }

    deinit {
        for worker in workers { worker.stop() }
    }

    /// Connections libcurl opened so far (new TCP connections, not reused ones).
    package var connectionsOpened: Int { opened.current }

    package func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        let job = Job(request: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                job.continuation = continuation
                submit(job)
            }
        } onCancel: {
            job.cancelled.withLock { $0 = true }
        }
    }

    private func submit(_ job: Job) {
        lock.lock()
        if let worker = idle.popLast() {
            lock.unlock()
            worker.assign(job)
        } else {
            queue.append(job)
            lock.unlock()
        }
    }

    /// A worker finished: hand it the oldest waiting job, or park it as the most recently idle.
    fileprivate func next(for worker: Worker) -> Job? {
        lock.lock()
        defer { lock.unlock() }
        if !queue.isEmpty { return queue.removeFirst() }
        idle.append(worker)
        return nil
    }

    fileprivate func countConnections(_ count: Int) {
        if count > 0 { opened.withLock { $0 += count } }
    }

    final class Job: @unchecked Sendable {
        let request: HTTPRequestSpec
        var continuation: CheckedContinuation<HTTPResponseData, Error>?
        let cancelled = Locked(false)
        init(request: HTTPRequestSpec) { self.request = request }
    }

    fileprivate final class Worker: @unchecked Sendable {
        let index: Int
        unowned let client: CurlHTTPClient
        private let condition = NSCondition()
        private var job: Job?
        private var stopped = false
        private let handle: UnsafeMutableRawPointer

        init(index: Int, client: CurlHTTPClient) {
            self.index = index
            self.client = client
            handle = curl_easy_init()
        }

        func start() {
            let thread = Thread { [self] in run() }
            thread.name = "intent-curl-\(index)"
            thread.start()
        }

        func assign(_ job: Job) {
            condition.lock()
            self.job = job
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        private func run() {
            while true {
                condition.lock()
                while job == nil && !stopped { condition.wait() }
                guard var current = job, !stopped else {
                    condition.unlock()
                    curl_easy_cleanup(handle)
                    return
                }
                job = nil
                condition.unlock()
                while true {
                    let result = Transfer.perform(current, handle: handle, configuration: client.configuration)
                    client.countConnections(result.connections)
                    // Back in the idle stack before the caller resumes, so that its next request
                    // comes to this worker and its warm connection.
                    let next = client.next(for: self)
                    current.continuation?.resume(with: result.outcome)
                    current.continuation = nil
                    guard let next else { break }
                    current = next
                }
            }
        }
    }
}

/// `curl_global_init` exactly once per process, before any handle exists; SIGPIPE ignored
/// because a peer closing a socket must be an error code, not the end of the process.
enum CurlGlobal {
    private static let initialized: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func initialize() { _ = initialized }
}
