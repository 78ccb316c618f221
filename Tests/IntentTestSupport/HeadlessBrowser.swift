import Foundation
public import Testing

/// Debian's Chromium, for the checks that drive a page in a real browser.
public enum HeadlessBrowser {
    public static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether those checks run: with a browser installed, and always under CI (which installs
    /// one), where a missing browser fails them instead of skipping them.
    public static let enabled = path != nil || ProcessInfo.processInfo.environment["CI"] != nil
    public static let skipReason: Comment = "no /usr/bin/chromium (apt-get install chromium)"
}
