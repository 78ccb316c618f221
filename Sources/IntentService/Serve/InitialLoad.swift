import IntentServer
import ServiceLifecycle

/// Loads the corpus once the listener is up (`/healthz` answers meanwhile, `/readyz` says 503),
/// then stays until the service group shuts down. A corpus that cannot be served ends the
/// group: `serve` exits with the load's error.
struct InitialLoad: Service {
    let reloader: CorpusReloader

    func run() async throws {
        try await cancelWhenGracefulShutdown { _ = try await reloader.reload() }
        try? await gracefulShutdown()
    }
}
