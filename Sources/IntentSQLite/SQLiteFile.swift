import Foundation
import GRDB

/// What every SQLite store of the service shares: a database file opened (its directory
/// created), in WAL mode, migrated to the store's schema.
enum SQLiteFile {
    /// Writers wait up to 10 s for one another (several processes may share a file).
    ///
    /// - Parameter compactingAfter: migrations that free most of a file's pages (moving its
    ///   largest column): the file is vacuumed once, right after one of them was applied, so
    ///   that it does not keep their size as free pages.
    static func open(_ path: String, migrator: DatabaseMigrator, compactingAfter: Set<String> = []) throws -> DatabasePool {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        let applied = try pool.read { try migrator.appliedIdentifiers($0) }
        try migrator.migrate(pool)
        if !applied.isEmpty && !compactingAfter.isSubset(of: applied) { try pool.vacuum() }
        return pool
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
