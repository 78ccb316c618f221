import Foundation
import IntentCore
import IntentServer
import Logging

/// Keeps a replica in step with the stores it shares with others: when the stored index has a
/// new version (an `import` from anywhere) or the state store holds edits this replica has not
/// loaded (the console on another replica), it reloads. The service in use keeps answering
/// until the new one is built (`CorpusReloader`). Checks every `interval` (two small queries).
struct ReplicaWatcher {
    let factory: ServiceFactory
    let reloader: CorpusReloader
    let logger: Logger
    var interval: Duration = .seconds(2)

    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled else { return }
            do {
                let factory = self.factory
                let (version, edits) = try await BlockingIO.run { () -> (String?, Int?) in
                    (try factory.openStore()?.storedVersion()?.corpusVersion, try factory.openState(creating: false)?.edits().count)
                }
                let loaded = factory.loaded.current
                let newIndex = version != nil && version != loaded.storeVersion
                let newEdits = (edits ?? 0) != loaded.edits
                guard newIndex || newEdits else { continue }
                logger.info(
                    "the shared store changed: reloading", metadata: ["index": "\(newIndex ? version ?? "-" : "unchanged")", "edits": "\(edits ?? 0)"])
                try await reloader.reload()
            } catch {
                logger.warning("checking the shared store failed: \(error)")
            }
        }
    }
}
