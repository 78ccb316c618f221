#!/usr/bin/env python3
"""A local stand-in for the WhatsApp Cloud API's send endpoint and the Business Management API's
template list, with Meta's paths, bodies, status codes and error envelopes.

Run: fake_graph.py [--port 0] [--token TOKEN]; it prints "listening PORT" on stdout.
POST /{version}/{phone_number_id}/messages answers like Meta: a text message gets
{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}, a read
receipt {"success": true}; a wrong token 401 with code 190; a body over 4,096 characters 400
with code 100. Interactive messages (type interactive: reply buttons, lists) are checked as Meta
checks them: a missing field is 400 with code 131008, a value out of Meta's limits (more than 3
buttons or 10 rows, a title over 20 or 24 characters, a body over 1,024, repeated ids) 400 with
code 131009; accepted ones are recorded like text sends. Template messages (type template) are
checked against the template list: a name not approved in that language is 404 with code 132001,
a count of body parameters that is not the body's count of placeholders 400 with code 132000.
GET /{version}/{waba_id}/message_templates?fields=...&limit=N&after=CURSOR lists the templates
(APPROVED or not, as Meta does) a page at a time: {"data": [...], "paging": {"cursors":
{"before", "after"}, "next"?}}, `next` only when there is more; only the asked `fields` (and
`id`) are given. POST /_control {"templates": [...]} replaces the list (default: TEMPLATES) and
{"list_script": [behaviour, ...]} scripts the list requests as "script" does the sends.
Tests script failures through POST /_control {"script": [behaviour, ...]}: each
send consumes the next one. Behaviours: {"mode": "ok"}, {"mode": "error", "code": 131000}
(Meta's envelope with that code and its usual HTTP status), {"mode": "hang", "seconds": 5},
{"mode": "drop"} (closes the connection without an answer). {"delay": 0.05} in /_control slows
every send. GET /_sent lists the accepted sends in order; GET /_stats counts requests (sends)
and `template_lists` (pages of the template list asked for).
"""
import base64
import copy
import json
import re
import sys
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

from fake_http import LOCK, FakeHandler, options, serve

# A WhatsApp Business Account's templates as the Graph API describes them: approved ones in two
# languages, one with numbered and one with named placeholders, and some Meta would not send.
TEMPLATES = [
    {"id": "1051", "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "parameter_format": "POSITIONAL",
     "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.",
                     "example": {"body_text": [["Ana", "A1001"]]}},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}]}]},
    {"id": "1052", "name": "order_update", "language": "zh_CN", "status": "APPROVED", "category": "UTILITY",
     "parameter_format": "POSITIONAL",
     "components": [{"type": "BODY", "text": "{{1}}\u60a8\u597d\uff0c\u60a8\u7684\u8ba2\u5355 {{2}} \u5df2\u53d1\u8d27\u3002",
                     "example": {"body_text": [["Ana", "A1001"]]}}]},
    {"id": "1053", "name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "parameter_format": "POSITIONAL",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                    {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API."},
                    {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}]},
    {"id": "1054", "name": "appointment_reminder", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "parameter_format": "NAMED",
     "components": [{"type": "BODY", "text": "Hello {{first_name}}, see you on {{day}}.",
                     "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"},
                                                            {"param_name": "day", "example": "Monday"}]}}]},
    {"id": "1055", "name": "spring_sale", "language": "en_US", "status": "PENDING", "category": "MARKETING",
     "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "{{1}} off everything this week."}]},
    {"id": "1056", "name": "old_promo", "language": "en_US", "status": "REJECTED", "category": "MARKETING",
     "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Buy now!"}]},
    {"id": "1057", "name": "winter_sale", "language": "en_US", "status": "PAUSED", "category": "MARKETING",
     "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Winter sale: {{1}}."}]},
]

STATE = {"script": [], "sent": [], "requests": 0, "rejected": 0, "delay": 0.0,
         "templates": copy.deepcopy(TEMPLATES), "list_script": [], "template_lists": 0}

# Meta's codes with the HTTP status and the details it sends with them.
ERRORS = {
    1: (400, "An unknown error occurred"),
    2: (503, "Service temporarily unavailable"),
    4: (400, "Application request limit reached"),
    100: (400, "Invalid parameter"),
    131008: (400, "Required parameter is missing"),
    131009: (400, "Parameter value is not valid"),
    132000: (400, "Number of parameters does not match the expected number of params"),
    132001: (404, "Template name does not exist in the translation"),
    130429: (400, "Cloud API message throughput has been reached."),
    131000: (500, "Something went wrong"),
    131016: (503, "A service is temporarily unavailable."),
    131026: (400, "Message failed to send because the recipient is not on WhatsApp."),
    131047: (400, "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
    131050: (400, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business."),
    131056: (400, "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."),
    190: (401, "Error validating access token: Session has expired."),
    368: (403, "Temporarily blocked for policies violations"),
}


def trace():
    return "A" + uuid.uuid4().hex[:22]


class Handler(FakeHandler):
    server_version = "fake-graph/1"
    content_type = "application/json; charset=UTF-8"
    state = STATE
    views = {
        "/_sent": lambda: {"sent": STATE["sent"]},
        "/_stats": lambda: {"requests": STATE["requests"], "rejected": STATE["rejected"], "template_lists": STATE["template_lists"]},
    }

    def reply_headers(self):
        return [("x-fb-trace-id", trace())]

    def control(self, control):
        if "script" in control:
            STATE["script"] = list(control["script"])
        if "delay" in control:
            STATE["delay"] = float(control["delay"])
        if "templates" in control:
            STATE["templates"] = list(control["templates"])
        if "list_script" in control:
            STATE["list_script"] = list(control["list_script"])
        if control.get("reset"):
            STATE["sent"] = []
            STATE["requests"] = 0
            STATE["rejected"] = 0
            STATE["template_lists"] = 0

    def graph_error(self, code, message=None, details=None):
        status, title = ERRORS.get(code, (400, "Error"))
        self.send_json(status, {"error": {
            "message": "(#%d) %s" % (code, message or title), "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or title}, "fbtrace_id": trace()}})

    def api_get(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 3 and parts[2] == "message_templates":
            return self.list_templates(parts[1], parse_qs(url.query))
        self.send_json(404, {"error": {"message": "Unknown path", "type": "GraphMethodException", "code": 100}})

    def list_templates(self, account, query):
        """GET /{version}/{waba_id}/message_templates, a page at a time, as Meta pages it."""
        with LOCK:
            STATE["template_lists"] += 1
            templates = copy.deepcopy(STATE["templates"])
        behaviour = self.next_behaviour("list_script")
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            return self.graph_error(190)
        if self.play(behaviour):
            return
        if behaviour.get("mode") == "error":
            return self.graph_error(int(behaviour["code"]))
        if not account.isdigit():
            return self.send_json(400, {"error": {
                "message": "Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation." % account,
                "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": trace()}})
        try:
            limit = int(query.get("limit", ["25"])[0])
            start = cursor_index(query["after"][0]) if "after" in query else 0
        except (ValueError, KeyError):
            return self.graph_error(100, "Invalid parameter", "The cursor or limit is not valid.")
        fields = query.get("fields", ["name,language,status,category,id"])[0].split(",")
        page = [{key: value for key, value in template.items() if key in fields or key == "id"}
                for template in templates[start:start + max(limit, 1)]]
        answer = {"data": page}
        if page:
            end = start + len(page)
            answer["paging"] = {"cursors": {"before": cursor(start), "after": cursor(end - 1)}}
            if end < len(templates):
                rest = {key: values[0] for key, values in query.items() if key != "after"}
                rest["after"] = cursor(end - 1)
                answer["paging"]["next"] = "http://%s:%d%s?%s" % (
                    self.server.server_address[0], self.server.server_address[1], urlsplit(self.path).path, urlencode(rest))
        self.send_json(200, answer)

    def api_post(self, raw):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[2] != "messages" or not parts[1].isdigit():
            return self.send_json(400, {"error": {"message": "Unsupported post request.", "type": "GraphMethodException", "code": 100, "fbtrace_id": trace()}})
        with LOCK:
            STATE["requests"] += 1
            delay = STATE["delay"]
        behaviour = self.next_behaviour()
        if delay:
            time.sleep(delay)
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            with LOCK:
                STATE["rejected"] += 1
            return self.graph_error(190)
        if self.play(behaviour):
            return
        if behaviour.get("mode") == "error":
            with LOCK:
                STATE["rejected"] += 1
            return self.graph_error(int(behaviour["code"]))
        try:
            body = json.loads(raw)
        except ValueError:
            return self.graph_error(100, "Invalid JSON")
        if body.get("messaging_product") != "whatsapp":
            return self.graph_error(100, "The parameter messaging_product is required.")
        if body.get("status") == "read":
            if not body.get("message_id"):
                return self.graph_error(100, "The parameter message_id is required.")
            with LOCK:
                STATE["sent"].append({"phone_number_id": parts[1], "body": body, "at": time.time()})
            return self.send_json(200, {"success": True})
        if not body.get("to"):
            return self.graph_error(131008, details="The parameter to is required.")
        context = body.get("context")
        if context is not None and not (isinstance(context, dict) and context.get("message_id")):
            return self.graph_error(131008, details="The parameter context['message_id'] is required.")
        if body.get("type") == "interactive":
            problem = interactive_problem(body.get("interactive"))
            if problem:
                return self.graph_error(problem[0], details=problem[1])
        elif body.get("type") == "template":
            with LOCK:
                templates = copy.deepcopy(STATE["templates"])
            problem = template_problem(body.get("template"), templates)
            if problem:
                return self.graph_error(problem[0], details=problem[1])
        else:
            text = (body.get("text") or {}).get("body")
            if body.get("type") != "text" or not isinstance(text, str) or not text:
                return self.graph_error(100, "The parameter text['body'] is required.")
            if len(text) > 4096:
                return self.graph_error(100, "Param text['body'] must be at most 4096 characters long.")
        wamid = "wamid.HBgL" + uuid.uuid4().hex.upper()
        with LOCK:
            STATE["sent"].append({"phone_number_id": parts[1], "body": body, "id": wamid, "at": time.time()})
        self.send_json(200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": wamid}]})


def cursor(index):
    """An opaque cursor, as Meta's are (base64)."""
    return base64.b64encode(("fake-graph:%d" % index).encode()).decode()


def cursor_index(text):
    """The index after the one a cursor marks; ValueError for one this server did not give."""
    decoded = base64.b64decode(text.encode(), validate=True).decode()
    if not decoded.startswith("fake-graph:"):
        raise ValueError(text)
    return int(decoded.split(":", 1)[1]) + 1


def placeholders(text):
    """The distinct {{...}} placeholders of a template text."""
    return sorted(set(name.strip() for name in re.findall(r"\{\{(.*?)\}\}", text or "")))


def template_problem(template, templates):
    """What Meta refuses in a template message, as (code, details); None when it is valid."""
    if not isinstance(template, dict) or not text_of(template.get("name")):
        return missing("template['name']")
    language = (template.get("language") or {}).get("code") if isinstance(template.get("language"), dict) else None
    if not text_of(language):
        return missing("template['language']['code']")
    name = template["name"]
    found = [t for t in templates if t.get("name") == name and t.get("language") == language and t.get("status") == "APPROVED"]
    if not found:
        return (132001, "template name (%s) does not exist in %s" % (name, language))
    body = next((c for c in found[0].get("components", []) if c.get("type") == "BODY"), {})
    expected = placeholders(body.get("text"))
    given = []
    for component in template.get("components") or []:
        if not isinstance(component, dict):
            return missing("template['components'][]")
        if component.get("type") == "body":
            given += component.get("parameters") or []
    if len(given) != len(expected):
        return (132000, "body: number of localizable_params (%d) does not match the expected number of params (%d)" % (len(given), len(expected)))
    named = found[0].get("parameter_format") == "NAMED"
    for parameter in given:
        if not isinstance(parameter, dict) or parameter.get("type") != "text" or not text_of(parameter.get("text")):
            return missing("template['components'][]['parameters'][]['text']")
        if named and parameter.get("parameter_name") not in expected:
            return invalid("Parameter name is missing or does not match a named parameter of the template.")
    return None


def missing(path):
    return (131008, "The parameter %s is required." % path)


def invalid(details):
    return (131009, details)


def text_of(value):
    return value if isinstance(value, str) and value.strip() else None


def interactive_problem(interactive):
    """What Meta refuses in an interactive reply-buttons or list message, as (code, details); None
    when it is valid. Lengths are in characters (Unicode code points)."""
    if not isinstance(interactive, dict):
        return missing("interactive")
    kind = interactive.get("type")
    if not kind:
        return missing("interactive['type']")
    if kind not in ("button", "list"):
        return invalid("Interactive message type '%s' is not supported here; use button or list." % kind)
    body = text_of((interactive.get("body") or {}).get("text"))
    if body is None:
        return missing("interactive['body']['text']")
    if len(body) > 1024:
        return invalid("Param interactive['body']['text'] must be at most 1024 characters long.")
    action = interactive.get("action")
    if not isinstance(action, dict):
        return missing("interactive['action']")
    if kind == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not buttons:
            return missing("interactive['action']['buttons']")
        if len(buttons) > 3:
            return invalid("Number of buttons is invalid. Expected at least 1 and at most 3 buttons, got %d." % len(buttons))
        ids, titles = set(), set()
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            if not isinstance(button, dict) or button.get("type") != "reply" or not isinstance(reply, dict):
                return missing("interactive['action']['buttons'][]['reply']")
            button_id, title = text_of(reply.get("id")), text_of(reply.get("title"))
            if button_id is None:
                return missing("interactive['action']['buttons'][]['reply']['id']")
            if title is None:
                return missing("interactive['action']['buttons'][]['reply']['title']")
            if len(title) > 20:
                return invalid("Button title length invalid. Min length: 1, Max length: 20")
            if len(button_id) > 256:
                return invalid("Button ID length invalid. Min length: 1, Max length: 256")
            if button_id in ids or title in titles:
                return invalid("Button title and ID must be unique.")
            ids.add(button_id)
            titles.add(title)
        return None
    label = text_of(action.get("button"))
    if label is None:
        return missing("interactive['action']['button']")
    if len(label) > 20:
        return invalid("Button title length invalid. Min length: 1, Max length: 20")
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        return missing("interactive['action']['sections']")
    if len(sections) > 10:
        return invalid("Number of sections is invalid. Expected at most 10 sections.")
    ids, count = set(), 0
    for section in sections:
        if not isinstance(section, dict):
            return missing("interactive['action']['sections'][]")
        title = section.get("title")
        if title is None and len(sections) > 1:
            return missing("interactive['action']['sections'][]['title']")
        if title is not None and (not isinstance(title, str) or len(title) > 24):
            return invalid("Section title length invalid. Max length: 24")
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            return missing("interactive['action']['sections'][]['rows']")
        for row in rows:
            count += 1
            row_id = text_of(row.get("id")) if isinstance(row, dict) else None
            row_title = text_of(row.get("title")) if isinstance(row, dict) else None
            if row_id is None:
                return missing("interactive['action']['sections'][]['rows'][]['id']")
            if row_title is None:
                return missing("interactive['action']['sections'][]['rows'][]['title']")
            if len(row_title) > 24:
                return invalid("Row title length invalid. Min length: 1, Max length: 24")
            if len(row_id) > 200:
                return invalid("Row ID length invalid. Min length: 1, Max length: 200")
            description = row.get("description")
            if description is not None and (not isinstance(description, str) or len(description) > 72):
                return invalid("Row description length invalid. Max length: 72")
            if row_id in ids:
                return invalid("Row IDs must be unique.")
            ids.add(row_id)
    if count > 10:
        return invalid("Total row count exceed max allowed count: 10")
    return None


def main():
    parser = options()
    parser.add_argument("--token", default="EAAG-test-token")
    args = parser.parse_args()
    serve(Handler, args.port, token=args.token)


if __name__ == "__main__":
    sys.exit(main())
