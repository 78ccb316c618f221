#!/usr/bin/env python3
"""A local stand-in for Telegram's Bot API, with its paths, bodies, status codes, error envelopes
and flood limits.

Run: fake_telegram.py [--port 0] [--token TOKEN]; it prints "listening PORT" on stdout.
Every method is POST /bot{token}/{method} with a JSON body, answered {"ok": true, "result": ...}
or {"ok": false, "error_code": N, "description": "..."} (and "parameters": {"retry_after": S} with
a 429). A token of another shape than digits:rest, or an unknown method, is 404 Not Found; a
well-shaped token that is not the bot's is 401 Unauthorized.

- sendMessage {"chat_id", "text", "reply_parameters"?, "reply_markup"?: {"inline_keyboard":
  [[{"text", "callback_data"}]]}}: a chat id that is not a positive integer, or one marked
  unknown, is 400 "Bad Request: chat not found"; a chat marked blocked 403 "Forbidden: bot was
  blocked by the user"; an empty text 400 "Bad Request: message text is empty", one over 4,096
  UTF-16 code units 400 "Bad Request: message is too long"; a button without text or with a
  callback_data outside 1-64 bytes 400 "Bad Request: BUTTON_DATA_INVALID". Accepted: the sent
  Message ({"message_id", "from", "chat", "date", "text", "reply_markup"?}), message ids counted per chat.
- answerCallbackQuery {"callback_query_id"}: true.
- setWebhook {"url", "secret_token"?, "allowed_updates"?}: an https URL only ("Bad Request: bad
  webhook: An HTTPS URL must be provided for webhook"), a secret of 1-256 of A-Z a-z 0-9 _ -;
  true with "description": "Webhook was set" (or "Webhook is already set").
- getWebhookInfo: {"url", "has_custom_certificate", "pending_update_count", "allowed_updates"?}
  (never the secret).

Flood limits, as Telegram's: per chat about one message a second (a bucket of `chat_burst`
messages, default 5, refilled at one a second) and 30 a second overall; over either, 429 "Too
Many Requests: retry after N" with parameters.retry_after N (whole seconds, at least 1).

POST /_control: {"script": [behaviour, ...]} (each call consumes the next one: {"mode": "ok"},
{"mode": "error", "code": 429, "retry_after": 3} or any code with Telegram's description for it,
{"mode": "hang", "seconds": 5}, {"mode": "drop"}), {"blocked": [chat ids]}, {"unknown": [chat
ids]}, {"chat_burst": N}, {"chat_refill": tokens a second (default 1; 0: none, a wait of 60 s,
so that a test's burst is limited however slowly a busy machine sends it)}, {"reset": true}. GET /_sent lists the accepted calls in order
({"method", "body", "at", "result"}); GET /_stats counts calls (`requests`) and refusals
(`rejected`, `limited` for 429s).
"""
import json
import math
import re
import sys
import time

from fake_http import LOCK, FakeHandler, options, serve

STATE = {"script": [], "sent": [], "requests": 0, "rejected": 0, "limited": 0, "blocked": set(), "unknown": set(),
         "chat_burst": 5.0, "chat_refill": 1.0, "buckets": {}, "overall": None, "next_id": {}, "webhook": None}

OVERALL_PER_SECOND = 30.0
TOKEN_SHAPE = re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    429: "Too Many Requests: retry after %d",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def take(bucket, capacity, per_second, now):
    """A token from a bucket (tokens, updated): None when taken, else the seconds until one is there."""
    tokens, updated = bucket if bucket else (capacity, now)
    tokens = min(capacity, tokens + (now - updated) * per_second)
    if tokens < 1:
        return (tokens, now), (1 - tokens) / per_second if per_second > 0 else 60.0
    return (tokens - 1, now), None


class Handler(FakeHandler):
    server_version = "fake-telegram/1"
    state = STATE
    views = {
        "/_sent": lambda: {"sent": STATE["sent"]},
        "/_stats": lambda: {"requests": STATE["requests"], "rejected": STATE["rejected"], "limited": STATE["limited"]},
    }

    def ok(self, result, description=None):
        answer = {"ok": True, "result": result}
        if description:
            answer["description"] = description
        self.send_json(200, answer)

    def error(self, code, description=None, retry_after=None):
        with LOCK:
            STATE["rejected"] += 1
            if code == 429:
                STATE["limited"] += 1
        if code == 429:
            retry_after = retry_after or 1
            description = description or DESCRIPTIONS[429] % retry_after
        answer = {"ok": False, "error_code": code, "description": description or DESCRIPTIONS.get(code, "Error")}
        if retry_after is not None:
            answer["parameters"] = {"retry_after": retry_after}
        self.send_json(code, answer)

    def api_get(self):
        self.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def api_post(self, raw):
        match = re.match(r"^/bot([^/]*)/([A-Za-z]+)$", self.path)
        if not match or not TOKEN_SHAPE.match(match.group(1)):
            return self.error(404)
        token, method = match.group(1), match.group(2)
        with LOCK:
            STATE["requests"] += 1
        behaviour = self.next_behaviour()
        if token != self.server.token:
            return self.error(401)
        if self.play(behaviour):
            return
        if behaviour.get("mode") == "error":
            code = int(behaviour["code"])
            return self.error(code, behaviour.get("description"), behaviour.get("retry_after"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.error(400, "Bad Request: can't parse JSON object")
        if not isinstance(body, dict):
            return self.error(400, "Bad Request: can't parse JSON object")
        handler = {"sendMessage": self.send_message, "answerCallbackQuery": self.answer_callback_query,
                   "setWebhook": self.set_webhook, "getWebhookInfo": self.get_webhook_info}.get(method)
        if handler is None:
            return self.error(404)
        handler(body)

    def control(self, control):
        if "script" in control:
            STATE["script"] = list(control["script"])
        if "blocked" in control:
            STATE["blocked"] = set(str(chat) for chat in control["blocked"])
        if "unknown" in control:
            STATE["unknown"] = set(str(chat) for chat in control["unknown"])
        if "chat_burst" in control:
            STATE["chat_burst"] = float(control["chat_burst"])
            STATE["buckets"] = {}
        if "chat_refill" in control:
            STATE["chat_refill"] = float(control["chat_refill"])
        if control.get("reset"):
            STATE.update({"sent": [], "requests": 0, "rejected": 0, "limited": 0, "buckets": {}, "overall": None})

    def record(self, method, body, result):
        with LOCK:
            STATE["sent"].append({"method": method, "body": body, "result": result, "at": time.time()})

    def send_message(self, body):
        chat = body.get("chat_id")
        chat_text = str(chat) if isinstance(chat, (int, str)) and not isinstance(chat, bool) else ""
        if chat_text == "":
            return self.error(400, "Bad Request: chat_id is empty")
        if not re.match(r"^[1-9][0-9]*$", chat_text) or chat_text in STATE["unknown"]:
            return self.error(400, "Bad Request: chat not found")
        if chat_text in STATE["blocked"]:
            return self.error(403)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return self.error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self.error(400, "Bad Request: message is too long")
        markup = body.get("reply_markup")
        if markup is not None:
            problem = keyboard_problem(markup)
            if problem:
                return self.error(400, problem)
        reply = body.get("reply_parameters")
        if reply is not None and not (isinstance(reply, dict) and isinstance(reply.get("message_id"), int)):
            return self.error(400, "Bad Request: can't parse reply parameters JSON object")
        with LOCK:
            now = time.monotonic()
            overall, wait = take(STATE["overall"], OVERALL_PER_SECOND, OVERALL_PER_SECOND, now)
            if wait is None:
                own, wait = take(STATE["buckets"].get(chat_text), STATE["chat_burst"], STATE["chat_refill"], now)
                if wait is None:
                    STATE["overall"] = overall
                    STATE["buckets"][chat_text] = own
        if wait is not None:
            return self.error(429, retry_after=max(1, math.ceil(wait)))
        with LOCK:
            message_id = STATE["next_id"].get(chat_text, 100) + 1
            STATE["next_id"][chat_text] = message_id
        result = {"message_id": message_id, "from": {"id": int(self.server.token.split(":")[0]), "is_bot": True, "first_name": "Shop"},
                  "chat": {"id": int(chat_text), "type": "private"}, "date": int(time.time()), "text": text}
        if markup is not None:
            result["reply_markup"] = markup
        self.record("sendMessage", body, result)
        self.ok(result)

    def answer_callback_query(self, body):
        query = body.get("callback_query_id")
        if not isinstance(query, str) or not query:
            return self.error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.record("answerCallbackQuery", body, True)
        self.ok(True)

    def set_webhook(self, body):
        url = body.get("url")
        if not isinstance(url, str):
            return self.error(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
        if url and not url.startswith("https://"):
            return self.error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = body.get("secret_token")
        if secret is not None and (not isinstance(secret, str) or not SECRET_SHAPE.match(secret)):
            return self.error(400, "Bad Request: secret token contains unallowed characters")
        hook = {"url": url, "secret_token": secret, "allowed_updates": body.get("allowed_updates")}
        with LOCK:
            same = STATE["webhook"] == hook
            STATE["webhook"] = hook
        self.record("setWebhook", body, True)
        if not url:
            return self.ok(True, "Webhook was deleted")
        self.ok(True, "Webhook is already set" if same else "Webhook was set")

    def get_webhook_info(self, body):
        with LOCK:
            hook = STATE["webhook"] or {"url": ""}
        info = {"url": hook.get("url") or "", "has_custom_certificate": False, "pending_update_count": 0}
        if hook.get("allowed_updates") is not None:
            info["allowed_updates"] = hook["allowed_updates"]
        self.ok(info)


def keyboard_problem(markup):
    """What Telegram refuses in an inline keyboard; None when it is valid."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
                return "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            data = button.get("callback_data")
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def main():
    parser = options()
    parser.add_argument("--token", default="123456789:AAtest-token")
    args = parser.parse_args()
    serve(Handler, args.port, token=args.token)


if __name__ == "__main__":
    sys.exit(main())
