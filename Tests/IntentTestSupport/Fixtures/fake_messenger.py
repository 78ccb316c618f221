#!/usr/bin/env python3
"""A local stand-in for the Messenger Platform's Send API (Messenger and Instagram direct
messages), with Meta's paths, bodies, status codes and error envelopes.

Run: fake_messenger.py [--port 0] [--token TOKEN] [--account ID] [--platform messenger|instagram];
it prints "listening PORT" on stdout.

POST /{version}/{account}/messages (the access token as `Authorization: Bearer` or the
`access_token` query parameter) answers like Meta:
- a message {"recipient": {"id"}, "messaging_type", "message": {"text", "quick_replies"?}}:
  {"recipient_id", "message_id"}; a sender action {"recipient": {"id"}, "sender_action":
  "mark_seen" | "typing_on" | "typing_off"}: {"recipient_id"};
- a wrong token: 400, code 190 (OAuthException); another page or account than --account: 400,
  code 100 subcode 33;
- what Meta refuses in a body: 400, code 100: no recipient, a messaging_type other than
  RESPONSE, UPDATE or MESSAGE_TAG, MESSAGE_TAG without a known tag, both a message and a sender
  action, text missing or longer than 2,000 characters (Instagram: 1,000), more than 13 quick
  replies, a quick reply without a title of at most 20 characters or a payload of at most 1,000;
- recipients POST /_control {"gone": [ids]} names: 400, code 100 subcode 2018001 (no matching
  user); {"unavailable": [ids]}: 400, code 551 (this person isn't available right now).
Tests script failures through POST /_control {"script": [behaviour, ...]}: each send consumes
the next one. Behaviours: {"mode": "ok"}, {"mode": "error", "code": 613, "subcode"?: N} (Meta's
envelope with that code and its usual HTTP status), {"mode": "hang", "seconds": 5}, {"mode":
"drop"} (closes the connection without an answer). {"reset": true} forgets what was sent and
counted. GET /_sent lists the accepted calls in order ({"account", "body", "id"?}); GET /_stats
counts requests and rejected ones.
"""
import json
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from fake_http import LOCK, FakeHandler, options, serve

STATE = {"script": [], "sent": [], "requests": 0, "rejected": 0, "gone": set(), "unavailable": set()}

# Meta's codes with the HTTP status, the type and the message it sends with them.
ERRORS = {
    1: (500, "OAuthException", "An unknown error has occurred."),
    2: (503, "OAuthException", "An unexpected error has occurred. Please retry your request later."),
    4: (400, "OAuthException", "Application request limit reached"),
    10: (400, "OAuthException", "This message is sent outside of allowed window."),
    100: (400, "OAuthException", "Invalid parameter"),
    190: (400, "OAuthException", "Error validating access token: Session has expired."),
    551: (400, "OAuthException", "This person isn't available right now."),
    613: (400, "OAuthException", "Calls to this api have exceeded the rate limit."),
}

TAGS = {"HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"}
SENDER_ACTIONS = {"mark_seen", "typing_on", "typing_off"}


def trace():
    return "A" + uuid.uuid4().hex[:22]


class Handler(FakeHandler):
    server_version = "fake-messenger/1"
    content_type = "application/json; charset=UTF-8"
    state = STATE
    views = {
        "/_sent": lambda: {"sent": STATE["sent"]},
        "/_stats": lambda: {"requests": STATE["requests"], "rejected": STATE["rejected"]},
    }

    def reply_headers(self):
        return [("x-fb-trace-id", trace())]

    def control(self, control):
        if "script" in control:
            STATE["script"] = list(control["script"])
        if "gone" in control:
            STATE["gone"] = set(control["gone"])
        if "unavailable" in control:
            STATE["unavailable"] = set(control["unavailable"])
        if control.get("reset"):
            STATE["sent"] = []
            STATE["requests"] = 0
            STATE["rejected"] = 0

    def graph_error(self, code, message=None, subcode=None):
        status, kind, title = ERRORS.get(code, (400, "OAuthException", "Error"))
        error = {"message": "(#%d) %s" % (code, message or title), "type": kind, "code": code, "fbtrace_id": trace()}
        if subcode is not None:
            error["error_subcode"] = subcode
        headers = []
        if code == 190:
            error["message"] = message or title
            headers.append(("WWW-Authenticate", 'OAuth "Facebook Platform" "invalid_token" "%s"' % error["message"]))
        with LOCK:
            STATE["rejected"] += 1
        self.send_json(status, {"error": error}, headers)

    def api_get(self):
        self.send_json(400, {"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100,
                                       "fbtrace_id": trace()}})

    def token(self, url):
        header = self.headers.get("Authorization") or ""
        if header.startswith("Bearer "):
            return header[len("Bearer "):]
        return (parse_qs(url.query).get("access_token") or [None])[0]

    def api_post(self, raw):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 3 or parts[2] != "messages":
            return self.send_json(400, {"error": {"message": "Unsupported post request.", "type": "GraphMethodException",
                                                  "code": 100, "fbtrace_id": trace()}})
        with LOCK:
            STATE["requests"] += 1
        behaviour = self.next_behaviour()
        if self.token(url) != self.server.token:
            return self.graph_error(190)
        if parts[1] != self.server.account:
            return self.graph_error(
                100, "Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, "
                "or does not support this operation." % parts[1], subcode=33)
        if self.play(behaviour):
            return
        if behaviour.get("mode") == "error":
            return self.graph_error(int(behaviour["code"]), subcode=behaviour.get("subcode"))
        try:
            body = json.loads(raw)
        except ValueError:
            return self.graph_error(100, "Invalid JSON for postbody")
        if not isinstance(body, dict):
            return self.graph_error(100, "Invalid JSON for postbody")
        problem = self.problem(body)
        if problem:
            return self.graph_error(*problem)
        recipient = body["recipient"]["id"]
        with LOCK:
            if recipient in STATE["gone"]:
                problem = (100, "No matching user found", 2018001)
            elif recipient in STATE["unavailable"]:
                problem = (551, None, 1545041)
        if problem:
            return self.graph_error(*problem)
        if "sender_action" in body:
            with LOCK:
                STATE["sent"].append({"account": parts[1], "body": body, "at": time.time()})
            return self.send_json(200, {"recipient_id": recipient})
        mid = "m_" + uuid.uuid4().hex
        with LOCK:
            STATE["sent"].append({"account": parts[1], "body": body, "id": mid, "at": time.time()})
        self.send_json(200, {"recipient_id": recipient, "message_id": mid})

    def problem(self, body):
        """What Meta refuses in a send, as (code, message[, subcode]); None when it is valid."""
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not text_of(recipient.get("id")):
            return (100, "The parameter recipient is required")
        action = body.get("sender_action")
        if action is not None:
            if "message" in body:
                return (100, "Only one of the following params can be specified: message, sender_action")
            if action not in SENDER_ACTIONS:
                return (100, "Param sender_action must be one of {%s}" % ", ".join(sorted(SENDER_ACTIONS)))
            return None
        kind = body.get("messaging_type")
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return (100, "Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        if kind == "MESSAGE_TAG" and body.get("tag") not in TAGS:
            return (100, "Param tag must be a valid message tag for messaging_type MESSAGE_TAG")
        message = body.get("message")
        if not isinstance(message, dict):
            return (100, "The parameter message is required")
        text = message.get("text")
        if not text_of(text):
            return (100, "param message must be non-empty.")
        if len(text) > self.server.max_text:
            return (100, "Length of param message[text] must be less than or equal to %d" % self.server.max_text)
        replies = message.get("quick_replies")
        if replies is not None:
            if not isinstance(replies, list) or not replies:
                return (100, "param message[quick_replies] must be a non-empty array")
            if len(replies) > 13:
                return (100, "param message[quick_replies] must have at most 13 items")
            for reply in replies:
                if not isinstance(reply, dict) or reply.get("content_type") != "text":
                    return (100, "param message[quick_replies][0][content_type] must be one of {text, user_phone_number, user_email}")
                title, payload = text_of(reply.get("title")), text_of(reply.get("payload"))
                if title is None or len(title) > 20:
                    return (100, "param title must be non-empty and at most 20 characters")
                if payload is None or len(payload) > 1000:
                    return (100, "param payload must be non-empty and at most 1000 characters")
        return None


def text_of(value):
    return value if isinstance(value, str) and value.strip() else None


def main():
    parser = options()
    parser.add_argument("--token", default="EAAG-test-token")
    parser.add_argument("--account", default="104000000000001")
    parser.add_argument("--platform", choices=["messenger", "instagram"], default="messenger")
    args = parser.parse_args()
    serve(Handler, args.port, token=args.token, account=args.account, max_text=2000 if args.platform == "messenger" else 1000)


if __name__ == "__main__":
    sys.exit(main())
