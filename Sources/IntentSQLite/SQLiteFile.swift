import Foundation
import GRDB

/// What every SQLite store of the service shares: a database file opened (its directory
/// created), in WAL mode, migrated to the store's schema.
enum SQLiteFile {
    /// Writers wait up to 10 s for one another (several processes may share a file).
    static func open(_ path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        try compactIfPending(pool)
        return pool
    }

    /// A migration that moved a file's largest column leaves its old pages free: the migration
    /// writes `compact_pending`, and the file is vacuumed once (outside the migration's
    /// transaction, where VACUUM cannot run), then the marker dropped. If the vacuum fails (a
    /// full disk: it needs the file's size again; another process holding the file), the
    /// store works as it is and the next open tries again.
    private static func compactIfPending(_ pool: DatabasePool) throws {
        guard try pool.read({ try $0.tableExists("compact_pending") }) else { return }
        guard (try? pool.vacuum()) != nil else { return }
        try pool.write { try $0.execute(sql: "DROP TABLE IF EXISTS compact_pending") }
    }

    /// The file's identity (device and inode), or nil when nothing is at `path`.
    static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    struct FileIdentity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
    }
}
