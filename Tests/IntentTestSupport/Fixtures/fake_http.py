"""What every fake API server here shares (fake_graph.py, fake_messenger.py, fake_telegram.py,
fake_crm.py): the HTTP plumbing around an API's own behaviour.

A fake is a `FakeHandler` subclass with its API's routes (`api_get`, `api_post`), its state (a
dict, read and changed under `LOCK`), the test routes that read that state (`views`: GET /_sent,
/_stats, ...) and what POST /_control changes (`control`, answered {"ok": true}). `main()` of a
fake parses its options with `options()` and calls `serve`, which prints "listening PORT".
"""
import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from test_child import live_as_test_child

# One process serves one fake: its state has one lock.
LOCK = threading.Lock()


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    content_type = "application/json"
    # The fake's state; `views` and `control` read and change it under LOCK.
    state = {}
    # GET paths for the tests: path -> a function of no argument giving the JSON answer.
    views = {}

    def setup(self):
        super().setup()
        # Answers go out in several writes: without this, Nagle's algorithm and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply_headers(self):
        """Headers the API adds to every answer."""
        return ()

    def send_json(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in list(self.reply_headers()) + list(headers):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        return status

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def next_behaviour(self, key="script"):
        """The next scripted behaviour of a list in the state ("ok" once it is used up)."""
        with LOCK:
            return self.state[key].pop(0) if self.state[key] else {"mode": "ok"}

    def play(self, behaviour):
        """The scripted behaviours every fake plays alike: "hang" answers `seconds` (default 5)
        late, "drop" closes the connection without an answer. True when the request is over."""
        mode = behaviour.get("mode", "ok")
        if mode == "hang":
            time.sleep(float(behaviour.get("seconds", 5)))
        elif mode == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        return False

    def do_GET(self):
        view = self.views.get(self.path)
        if view is not None:
            with LOCK:
                return self.send_json(200, view())
        self.api_get()

    def do_POST(self):
        raw = self.read_body()
        if urlsplit(self.path).path == "/_control":
            control = json.loads(raw or b"{}")
            with LOCK:
                self.control(control)
            return self.send_json(200, {"ok": True})
        self.api_post(raw)

    def api_get(self):
        self.send_json(404, {"error": "not found"})

    def api_post(self, raw):
        self.send_json(404, {"error": "not found"})

    def control(self, control):
        """Applies POST /_control's body to the state (LOCK is held)."""


def options():
    """The command line every fake takes (--port, 0 for any free one); a fake adds its own."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    return parser


def serve(handler, port, **attributes):
    """Serves `handler` on 127.0.0.1:`port` as a test's child process until it is stopped, after
    printing "listening PORT"; `attributes` are set on the server, for the handler to read
    (`self.server.token`)."""
    live_as_test_child()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    for name, value in attributes.items():
        setattr(server, name, value)
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
