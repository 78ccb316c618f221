import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentServer
import Logging
import ServiceLifecycle

/// Keeps a replica in step with the stores it shares with others: when the stored index has a
/// new version (an `import` from anywhere) or the state store holds corpus edits or a flow
/// document this replica has not loaded (the console on another replica), it reloads. The service in use keeps answering
/// until the new one is built (`CorpusReloader`).
///
/// An import on PostgreSQL is announced (`LISTEN intent_index`) and checked at once; every
/// `interval` the versions are compared anyway (two small queries), which catches edits and
/// anything announced while the listening connection was down.
struct ReplicaWatcher: Service {
    let factory: ServiceFactory
    let reloader: CorpusReloader
    let logger: Logger
    var interval: Duration = .seconds(2)

    func run() async {
        await cancelWhenGracefulShutdown { await watch() }
    }

    private func watch() async {
        let announcements = ((try? await factory.openStore()) as? PostgresIndexStore)?.versionChanges()
        await withTaskGroup(of: Void.self) { group in
            let wake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            if let announcements {
                group.addTask {
                    for await _ in announcements { wake.continuation.yield() }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    wake.continuation.yield()
                }
            }
            group.addTask {
                for await _ in wake.stream {
                    guard !Task.isCancelled else { return }
                    await check()
                }
            }
            await withTaskCancellationHandler {
                await group.next()
            } onCancel: {
                wake.continuation.finish()
            }
            group.cancelAll()
        }
    }

    private func check() async {
        do {
            let version = try await factory.openStore()?.storedVersion()?.corpusVersion
            let state = try await factory.openState(creating: false)
            let edits = try await state?.edits().count
            let flowEdit = try await state?.latestFlows()?.number
            let loaded = factory.loaded.current
            let newIndex = version != nil && version != loaded.storeVersion
            let newEdits = (edits ?? 0) != loaded.edits
            let newFlows = flowEdit != loaded.flowEdit
            guard newIndex || newEdits || newFlows else { return }
            logger.info(
                "the shared store changed: reloading",
                metadata: [
                    "index": "\(newIndex ? version ?? "-" : "unchanged")", "edits": "\(edits ?? 0)",
                    "flows": "\(flowEdit.map { "edit #\($0)" } ?? "file")",
                ])
            try await reloader.reload()
        } catch {
            logger.warning("checking the shared store failed: \(error)")
        }
    }
}
