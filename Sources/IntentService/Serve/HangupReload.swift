import IntentServer
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the corpus on SIGHUP, the Unix convention for "re-read your configuration"; an
/// invalid corpus is logged by the reloader and the previous one keeps serving.
struct HangupReload: Service {
    let reloader: CorpusReloader
    let logger: Logger

    func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                logger.info("SIGHUP: reloading the corpus")
                _ = try? await reloader.reload()
            }
        }
    }
}
