/// The console: one page, its HTML, CSS and JavaScript inline (no CDN, no build step), served
/// by `GET /console`. It polls the JSON API (`/v1/stats`, `/match`, `/v1/conversations`) with the
/// token the user signs in with; everything it shows from the API is inserted as text, never
/// as markup (customers' messages are untrusted).
///
/// The page is `console.html` beside this file, compiled into the binary by SwiftPM
/// (`.embedInCode`): edited as HTML, shipped inside the one executable.
enum ConsolePage {
    static let html = String(decoding: PackageResources.console_html, as: UTF8.self)
}
