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
import hashlib
import hmac
import json
import sys

from fake_http import LOCK, FakeHandler, options, serve

STATE = {"script": [], "calls": [], "leads": [], "deliveries": {}}
ORDERS = {
    "A1001": {"status": "shipped", "eta": "2026-12-09"},
    "A1002": {"status": "processing", "eta": "2026-12-12"},
    "LM123456": {"status": "shipped, arriving 2026-12-09", "eta": "2026-12-09"},
}


class Handler(FakeHandler):
    state = STATE
    views = {"/_calls": lambda: {"calls": STATE["calls"]}, "/_leads": lambda: {"leads": STATE["leads"]}}

    def control(self, control):
        STATE["script"] = list(control.get("script", []))

    def api_post(self, raw):
        call = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": raw.decode("utf-8", "replace")}
        with LOCK:
            STATE["calls"].append(call)
        call["status"] = self.answer(raw, self.next_behaviour())

    def answer(self, raw, behaviour):
        if self.play(behaviour):
            return 0
        if behaviour.get("mode") == "status":
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
    parser = options()
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    serve(Handler, args.port, secret=args.secret)


if __name__ == "__main__":
    sys.exit(main())
