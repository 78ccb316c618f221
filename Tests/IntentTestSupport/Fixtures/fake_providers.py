#!/usr/bin/env python3
"""A local stand-in for the provider APIs (OpenAI-style embeddings and chat, DeepSeek-style chat,
Coze v3 chat), with their real paths, JSON shapes, status codes and headers, and their failures.

Run: fake_providers.py [--port 0] [--key KEY] [--dim 64]; it prints "listening PORT" on stdout.
Tests script failures through POST /_control {"script": [behaviour, ...]}: each provider request
consumes the next behaviour (then "ok" again). Behaviours: {"mode": "ok"}, {"mode": "status",
"status": 429, "headers": {...}, "error": {...} | "flat": "..."}, {"mode": "hang", "seconds": 5},
{"mode": "drop"} (half a body, then the connection closes), {"mode": "malformed"},
{"mode": "out_of_order"}, {"mode": "blank"} (chat content of whitespace), {"mode": "reply",
"content": "..."} (chat content), {"mode": "coze_code", "code": 4100, "msg": "..."},
{"mode": "coze_failed"}, {"mode": "leading_whitespace"}. GET /_stats reports request counts per
path, connections accepted and the inputs of embedding requests.
"""
import argparse
import hashlib
import json
import math
import random
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_child import live_as_test_child

LOCK = threading.Lock()
STATE = {"script": [], "requests": {}, "connections": 0, "embedding_inputs": [], "chat_prompts": [], "chats": {}, "cancelled": []}


def next_behaviour():
    with LOCK:
        return STATE["script"].pop(0) if STATE["script"] else {"mode": "ok"}


def embed(text, dim):
    """A deterministic bag-of-words vector: texts sharing words are close. Like a real
    embedding model's, it is dense (every component non-zero: a small pseudo-random floor
    seeded by the text) and unit length."""
    v = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        h = int(hashlib.sha256(word.encode()).hexdigest(), 16)
        v[h % dim] += 1.0 if (h >> 64) & 1 else -1.0
    floor = random.Random(hashlib.sha256(text.encode()).digest())
    v = [x + floor.uniform(0.001, 0.01) * floor.choice((-1, 1)) for x in v]
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [round(x / norm, 9) for x in v]  # the API's floats carry about 9 significant digits


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-providers/1"

    def setup(self):
        super().setup()
        # Answers go out in several writes: without this, Nagle's algorithm and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with LOCK:
            STATE["connections"] += 1

    def log_message(self, *args):
        pass

    # -- helpers -----------------------------------------------------------------------------
    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req_fake_%d" % int(time.time() * 1000))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(body)

    def openai_error(self, status, message, type_="invalid_request_error", code=None, headers=None):
        self.send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def authorized(self):
        return self.headers.get("Authorization") == "Bearer " + self.server.key

    def presented_key(self):
        auth = self.headers.get("Authorization") or ""
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else auth

    def masked_openai(self):
        """OpenAI's 401 names the key it got, masked: its first 8 and last 4 characters."""
        key = self.presented_key()
        return key[:8] + "*" * max(4, len(key) - 12) + key[-4:] if len(key) > 12 else "*" * len(key)

    def masked_deepseek(self):
        """DeepSeek's 401 names the key's last 4 characters."""
        return "****" + self.presented_key()[-4:]

    def count(self, path):
        with LOCK:
            STATE["requests"][path] = STATE["requests"].get(path, 0) + 1

    def apply_failure(self, b, kind):
        """Handles the failure behaviours shared by every provider route; True when it answered."""
        mode = b["mode"]
        if mode == "status":
            if kind == "coze":
                self.send_json(b["status"], {"code": b.get("code", 5000), "msg": b.get("msg", "error")}, b.get("headers"))
            elif "flat" in b:
                self.send_json(b["status"], {"error": b["flat"]}, b.get("headers"))
            else:
                err = b.get("error", {"message": "error %d" % b["status"], "type": "server_error", "code": None})
                err.setdefault("param", None)
                self.send_json(b["status"], {"error": err}, b.get("headers"))
            return True
        if mode == "hang":
            time.sleep(b.get("seconds", 5))
            self.openai_error(504, "gateway timeout")
            return True
        if mode == "drop":
            body = b'{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) * 4))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        if mode == "malformed":
            self.send_json(200, None, raw=b'{"object": "list", "data": [oops')
            return True
        if mode == "coze_code" and kind == "coze":
            self.send_json(200, {"code": b.get("code", 4100), "msg": b.get("msg", "authentication is invalid")})
            return True
        return False

    # -- routing -----------------------------------------------------------------------------
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/_stats":
            with LOCK:
                return self.send_json(200, STATE)
        if path in ("/v3/chat/retrieve", "/v3/chat/message/list"):
            return self.coze(path)
        self.openai_error(404, "Invalid URL (GET %s)" % path)

    def do_POST(self):
        path = self.path.split("?")[0]
        if path == "/_control":
            body = self.read_body() or {}
            with LOCK:
                STATE["script"] = list(body.get("script", []))
                if "follow_up_seconds" in body:
                    STATE["follow_up_seconds"] = float(body["follow_up_seconds"])
            return self.send_json(200, {"ok": True})
        if path in ("/v1/embeddings", "/embeddings"):
            return self.embeddings(path)
        if path in ("/v1/chat/completions", "/chat/completions"):
            return self.chat(path)
        if path.startswith("/v3/chat"):
            return self.coze(path)
        self.openai_error(404, "Invalid URL (POST %s)" % path)

    # -- OpenAI-style ------------------------------------------------------------------------
    def embeddings(self, path):
        self.count(path)
        body = self.read_body()
        if not self.authorized():
            return self.openai_error(401, "Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys." % self.masked_openai(), code="invalid_api_key")
        b = next_behaviour()
        if self.apply_failure(b, "openai"):
            return
        if body is None:
            return self.openai_error(400, "We could not parse the JSON body of your request.")
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or any(not isinstance(t, str) or not t for t in inputs):
            return self.openai_error(400, "'input' must be a non-empty string or array of non-empty strings", code=None)
        if len(inputs) > self.server.max_batch:
            return self.openai_error(400, "'input' must have at most %d items" % self.server.max_batch)
        if body.get("encoding_format") not in (None, "float"):
            return self.openai_error(400, "unsupported encoding_format in this fake")
        with LOCK:
            STATE["embedding_inputs"].append(inputs)
        dim = body.get("dimensions") or self.server.dim
        data = [{"object": "embedding", "index": i, "embedding": embed(t, dim)} for i, t in enumerate(inputs)]
        if b["mode"] == "out_of_order":
            data.reverse()
        tokens = sum(len(t.split()) for t in inputs)
        self.send_json(200, {"object": "list", "data": data, "model": body.get("model"), "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
                       {"x-ratelimit-remaining-requests": 4999})

    def chat(self, path):
        self.count(path)
        body = self.read_body()
        if not self.authorized():
            return self.openai_error(401, "Authentication Fails, Your api key: %s is invalid" % self.masked_deepseek(), type_="authentication_error", code="invalid_api_key")
        b = next_behaviour()
        if self.apply_failure(b, "openai"):
            return
        if body is None or not isinstance(body.get("messages"), list):
            return self.openai_error(400, "messages is required")
        with LOCK:
            STATE["chat_prompts"].append(body["messages"])
        content = b.get("content", '{"id": null}') if b["mode"] == "reply" else ('  \n ' if b["mode"] == "blank" else '{"id": null}')
        reply = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": body.get("model"),
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
        raw = json.dumps(reply).encode()
        if b["mode"] == "leading_whitespace":
            raw = b"\n\n   \n" + raw
        self.send_json(200, None, raw=raw)

    # -- Coze-style --------------------------------------------------------------------------
    def coze(self, path):
        self.count(path)
        body = self.read_body() if self.command == "POST" else {}
        if not self.authorized():
            return self.send_json(200, {"code": 4100, "msg": "authentication is invalid"})
        query = dict(p.split("=", 1) for p in self.path.split("?", 1)[1].split("&")) if "?" in self.path else {}
        if path == "/v3/chat":
            b = next_behaviour()
            if self.apply_failure(b, "coze"):
                return
            if not body or not body.get("bot_id") or not body.get("user_id"):
                return self.send_json(200, {"code": 4000, "msg": "bot_id and user_id are required"})
            messages = body.get("additional_messages") or []
            with LOCK:
                STATE["chat_prompts"].append(messages)
            content = b.get("content", '{"id": null}')
            chat = {"id": "chat_%d" % len(STATE["chats"]), "conversation_id": "conv_1", "bot_id": body["bot_id"], "created_at": int(time.time()),
                    "status": "in_progress", "last_error": {"code": 0, "msg": ""}}
            with LOCK:
                STATE["chats"][chat["id"]] = {"chat": chat, "polls": 0, "content": content, "failed": b["mode"] == "coze_failed",
                                              "polls_needed": int(b.get("polls", 2))}
            if body.get("stream"):
                return self.coze_stream(chat, content, failed=b["mode"] == "coze_failed")
            return self.send_json(200, {"code": 0, "msg": "", "data": chat})
        # Coze takes retrieve's and message/list's ids in the query string, cancel's in the JSON body.
        chat_id = (body or {}).get("chat_id") if path == "/v3/chat/cancel" else query.get("chat_id")
        with LOCK:
            entry = STATE["chats"].get(chat_id)
        if entry is None:
            return self.send_json(200, {"code": 4000, "msg": "chat not found"})
        if path == "/v3/chat/retrieve":
            entry["polls"] += 1
            chat = dict(entry["chat"])
            if entry["polls"] >= entry["polls_needed"] and chat["status"] != "canceled":
                chat["status"] = "failed" if entry["failed"] else "completed"
                if entry["failed"]:
                    chat["last_error"] = {"code": 5000, "msg": "the bot failed"}
            return self.send_json(200, {"code": 0, "msg": "", "data": chat})
        if path == "/v3/chat/message/list":
            msgs = [{"id": "m1", "role": "assistant", "type": "answer", "content": entry["content"], "content_type": "text", "chat_id": chat_id, "conversation_id": "conv_1"},
                    {"id": "m2", "role": "assistant", "type": "follow_up", "content": "Anything else?", "content_type": "text", "chat_id": chat_id, "conversation_id": "conv_1"}]
            return self.send_json(200, {"code": 0, "msg": "", "data": msgs})
        if path == "/v3/chat/cancel":
            entry["chat"]["status"] = "canceled"
            with LOCK:
                STATE["cancelled"].append(chat_id)
            return self.send_json(200, {"code": 0, "msg": "", "data": entry["chat"]})
        self.send_json(404, {"code": 4000, "msg": "not found"})

    def coze_stream(self, chat, content, failed):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.send_header("x-tt-logid", "log_fake")
        self.end_headers()
        self.close_connection = True

        def event(name, data):
            self.wfile.write(("event:%s\ndata:%s\n\n" % (name, json.dumps(data) if not isinstance(data, str) else data)).encode())
            self.wfile.flush()

        event("conversation.chat.created", chat)
        event("conversation.chat.in_progress", chat)
        if failed:
            event("conversation.chat.failed", dict(chat, status="failed", last_error={"code": 5000, "msg": "the bot failed"}))
            return
        half = len(content) // 2
        for piece in (content[:half], content[half:]):
            event("conversation.message.delta", {"id": "m1", "role": "assistant", "type": "answer", "content": piece, "content_type": "text", "chat_id": chat["id"]})
        event("conversation.message.completed", {"id": "m1", "role": "assistant", "type": "answer", "content": content, "content_type": "text", "chat_id": chat["id"]})
        # Like Coze: after the answer, the bot generates follow-up suggestions, which takes a while.
        try:
            event("conversation.message.completed", {"id": "m0", "role": "assistant", "type": "verbose", "content": '{"msg_type":"generate_answer_finish"}', "content_type": "text", "chat_id": chat["id"]})
            time.sleep(STATE.get("follow_up_seconds", 1.0))
            event("conversation.message.completed", {"id": "m2", "role": "assistant", "type": "follow_up", "content": "Anything else?", "content_type": "text", "chat_id": chat["id"]})
            event("conversation.chat.completed", dict(chat, status="completed"))
            event("done", '"[DONE]"')
        except (BrokenPipeError, ConnectionResetError):
            with LOCK:
                STATE["streams_left_early"] = STATE.get("streams_left_early", 0) + 1


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (timeout, cancellation, deadline) closes its end mid-answer:
        # that is the scenario under test, not an error of the fake.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default="test-key")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--max-batch", type=int, default=2048)
    a = ap.parse_args()
    live_as_test_child()
    server = Server(("127.0.0.1", a.port), Handler)
    server.key, server.dim, server.max_batch = a.key, a.dim, a.max_batch
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
