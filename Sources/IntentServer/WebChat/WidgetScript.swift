import HTTPTypes
import Hummingbird

/// `GET /widget.js`: the web chat widget, one dependency-free script that a site embeds with
/// `<script src="https://bot.example.com/widget.js" data-site="shop" defer></script>`. It is
/// `widget.js` beside this file, compiled into the binary (`.embedInCode`). Public: it holds
/// nothing of any site; which site it talks to is the embedding tag's `data-site`.
enum WidgetScript {
    static let path = "/widget.js"
    static let source = ByteBuffer(bytes: PackageResources.widget_js)

    static func register(on router: Router<IntentRequestContext>) {
        router.get(RouterPath(path)) { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=300",
                    HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                    // Scripts load across origins without CORS; this lets a page use integrity checks on it.
                    .accessControlAllowOrigin: "*",
                ],
                body: .init(byteBuffer: source))
        }
    }
}
