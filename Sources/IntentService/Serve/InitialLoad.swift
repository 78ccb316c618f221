import IntentServer
import ServiceLifecycle

/// Loads the corpus beside the starting server, which does not wait for it (`/healthz` answers
/// meanwhile, `/readyz` says 503 until the corpus is in service), then stays until the service
/// group shuts down. A corpus that cannot be served ends the
/// group: `serve` exits with the load's error.
struct InitialLoad: Service {
    let reloader: CorpusReloader

    func run() async throws {
        try await cancelWhenGracefulShutdown { _ = try await reloader.reload() }
        try? await gracefulShutdown()
    }
}
