#!/usr/bin/env python3
"""Drives headless Chromium through the Chrome DevTools Protocol, for the console's browser tests.

usage: browser.py CHROMIUM URL STEPS.json

STEPS is a JSON list run in order on the page opened at URL; each step is one of
  {"until": "<js expression>", "timeout": 60}   wait until the expression is truthy
  {"eval": "<js expression>"}                    run it once (promises are awaited)
  {"screenshot": "<file.png>"}                   save the viewport
  {"viewport": [390, 844]}                       resize it (narrower than 800: a phone)
  {"type": "text"}                               type into the focused element, as a person does
  {"key": "Enter", "shift": false}               press a key (Enter, Tab, Escape, ArrowDown, ...)
Prints one JSON line per step ({"step": i, "value": ...}); exits 1 naming the step that timed
out or threw. Standard library only: a WebSocket client of its own (RFC 6455 client frames).
"""
import base64, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time


class WebSocket:
    def __init__(self, url):
        host, port, path = re.match(r"ws://([^:/]+):(\d+)(/.*)", url).groups()
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(4096)
        head, self.buffer = response.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: " + head.decode(errors="replace"))

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("browser closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("browser closed the websocket")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return json.loads(message)


class Page:
    def __init__(self, socket_url, url):
        self.ws = WebSocket(socket_url)
        self.next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.resize(1200, 900)
        self.call("Page.navigate", {"url": url}, session=True)

    def resize(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800}, session=True)

    # Trusted key events, as a keyboard sends them (a page's own dispatchEvent is not the same).
    KEYS = {"Enter": (13, "\r"), "Tab": (9, ""), "Escape": (27, ""), "ArrowDown": (40, ""), "ArrowUp": (38, ""), "Home": (36, ""), "End": (35, "")}

    def press(self, key, shift=False):
        code, text = self.KEYS[key]
        common = {"key": key, "code": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code, "modifiers": 8 if shift else 0}
        self.call("Input.dispatchKeyEvent", dict(common, type="keyDown" if text else "rawKeyDown", **({"text": text} if text else {})), session=True)
        self.call("Input.dispatchKeyEvent", dict(common, type="keyUp"), session=True)

    def call(self, method, params=None, session=False):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = self.ws.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description") or str(result["exceptionDetails"]))
        return result["result"].get("value")


def main():
    chromium, url, steps_file = sys.argv[1:4]
    steps = json.load(open(steps_file))
    profile = tempfile.mkdtemp(prefix="intent-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 30
        socket_url = None
        while time.time() < deadline and socket_url is None:
            line = browser.stderr.readline()
            if not line and browser.poll() is not None:
                break
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            socket_url = found.group(1) if found else None
        if socket_url is None:
            print(json.dumps({"error": "chromium did not open its DevTools endpoint"}))
            return 1
        # Chromium keeps writing to stderr (more so on a busy machine): a pipe nobody reads fills
        # up and blocks it mid-page, so the rest is read and dropped.
        threading.Thread(target=lambda: [None for _ in browser.stderr], daemon=True).start()
        page = Page(socket_url, url)
        for i, step in enumerate(steps):
            try:
                if "screenshot" in step:
                    data = page.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
                    open(step["screenshot"], "wb").write(base64.b64decode(data))
                    value = step["screenshot"]
                elif "eval" in step:
                    value = page.evaluate(step["eval"])
                elif "viewport" in step:
                    page.resize(*step["viewport"])
                    value = step["viewport"]
                elif "type" in step:
                    page.call("Input.insertText", {"text": step["type"]}, session=True)
                    value = step["type"]
                elif "key" in step:
                    page.press(step["key"], step.get("shift", False))
                    value = step["key"]
                else:
                    # While the page loads the expression may throw: that counts as not yet.
                    end = time.time() + step.get("timeout", 60)
                    value, last_error = None, ""
                    while not value:
                        if time.time() > end:
                            print(json.dumps({"step": i, "error": f"timed out waiting for: {step['until']} {last_error}".strip()}))
                            return 1
                        try:
                            value = page.evaluate(step["until"])
                        except RuntimeError as error:
                            last_error = str(error)
                        if not value:
                            time.sleep(0.1)
            except (RuntimeError, OSError) as error:  # OSError: the browser stopped answering (socket timeout)
                print(json.dumps({"step": i, "error": str(error) or type(error).__name__}))
                return 1
            print(json.dumps({"step": i, "value": value}), flush=True)
        return 0
    finally:
        # Chromium's helpers (zygote, crash handler) outlive the main process and keep writing
        # into the profile: the whole process group goes before the profile does.
        try:
            os.killpg(browser.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
