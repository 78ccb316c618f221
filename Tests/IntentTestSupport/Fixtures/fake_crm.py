#!/usr/bin/env python3
"""A local stand-in for a shop's own system that flow webhook steps call: an order lookup and a
lead inbox, receiving IntentService's flow webhooks as a real receiver would.

Run: fake_crm.py [--port 0] [--secret SECRET]; it prints "listening PORT" on stdout.
POST /orders/lookup reads variables.order_number (or variables.order) from the body and answers
200 with the order's {"order", "status", "eta"} (404 {"error": "unknown order"} for one it does
not know);
POST /leads answers 201 {"id": "lead-N"}. With --secret, a request without
X-Intent-Signature-256, or with one that is not "sha256=" + the hex HMAC-SHA256 of the raw body
under the secret, gets 401. A repeated X-Intent-Delivery is answered like the first and not
stored twice (receivers deduplicate on it). Tests script failures through
POST /_control {"script": [behaviour, ...]}: each call consumes the next one. Behaviours:
{"mode": "ok"}, {"mode": "status", "status": 503} (that status with a JSON error body),
{"mode": "hang", "seconds": 5}, {"mode": "drop"} (closes the connection without an answer).
GET /_calls lists every request (path, headers, body, answered status) in order;
GET /_leads lists the stored leads.
"""
import argparse
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_child import live_as_test_child

LOCK = threading.Lock()
STATE = {"script": [], "calls": [], "leads": [], "deliveries": {}}
ORDERS = {
    "A1001": {"status": "shipped", "eta": "2026-12-09"},
    "A1002": {"status": "processing", "eta": "2026-12-12"},
    "LM123456": {"status": "shipped, arriving 2026-12-09", "eta": "2026-12-09"},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return status

    def do_GET(self):
        with LOCK:
            if self.path == "/_calls":
                return self.send_json(200, {"calls": STATE["calls"]})
            if self.path == "/_leads":
                return self.send_json(200, {"leads": STATE["leads"]})
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_control":
            control = json.loads(raw or b"{}")
            with LOCK:
                STATE["script"] = list(control.get("script", []))
            return self.send_json(200, {"ok": True})
        call = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": raw.decode("utf-8", "replace")}
        with LOCK:
            STATE["calls"].append(call)
            behaviour = STATE["script"].pop(0) if STATE["script"] else {"mode": "ok"}
        call["status"] = self.answer(raw, behaviour)

    def answer(self, raw, behaviour):
        mode = behaviour.get("mode", "ok")
        if mode == "hang":
            time.sleep(behaviour.get("seconds", 5))
        elif mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return 0
        elif mode == "status":
            return self.send_json(behaviour.get("status", 503), {"error": "scripted failure"})
        secret = self.server.secret
        if secret:
            given = self.headers.get("X-Intent-Signature-256") or ""
            expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(given, expected):
                return self.send_json(401, {"error": "bad or missing X-Intent-Signature-256"})
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return self.send_json(415, {"error": "send JSON"})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": "not JSON"})
        if not isinstance(body.get("variables"), dict) or not isinstance(body.get("customer"), dict):
            return self.send_json(400, {"error": "expected {flow, step, customer, variables}"})
        delivery = self.headers.get("X-Intent-Delivery")
        with LOCK:
            if delivery and delivery in STATE["deliveries"]:
                status, answer = STATE["deliveries"][delivery]
                return self.send_json(status, answer)
        if self.path == "/orders/lookup":
            variables = body["variables"]
            order = str(variables.get("order_number") or variables.get("order") or "").upper().replace(" ", "")
            if order not in ORDERS:
                status, answer = 404, {"error": "unknown order"}
            else:
                status, answer = 200, dict(ORDERS[order], order=order)
        elif self.path == "/leads":
            with LOCK:
                STATE["leads"].append({"customer": body["customer"], "variables": body["variables"]})
                status, answer = 201, {"id": "lead-%d" % len(STATE["leads"])}
        else:
            status, answer = 404, {"error": "no such endpoint"}
        with LOCK:
            if delivery:
                STATE["deliveries"][delivery] = (status, answer)
        return self.send_json(status, answer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    live_as_test_child()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.secret = args.secret
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
