#!/usr/bin/env python3
"""How long an HTML report takes to open in headless Chromium, measured inside the browser.

usage: bench/html-load.py REPORT.html [--limit-ms 3000] [--repeat 3] [--chromium PATH]

Starts `chromium --headless` with the DevTools protocol on a local port (a fresh profile in a
temporary folder), opens the page in a new tab and takes, from the page's own clock
(performance.now(), 0 = navigation start): the load event, and two animation frames after it —
the page parsed, laid out and painted, ready to look at. Prints one line per repeat and the
median, the DOM's element count and whether the report's script ran (body data-rendered="ok").
Exit 0 when the median is within --limit-ms, 1 when not (or the script did not run), 2 for bad
input, 3 when no Chromium is installed (CI prints that as a skip). Only the Python 3 standard
library is used (a minimal WebSocket client for the DevTools protocol).
"""
import base64
import json
import os
import pathlib
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 3


def find_chromium(explicit):
    if explicit:
        return explicit if shutil.which(explicit) or os.path.exists(explicit) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, client-masked, no extensions."""

    def __init__(self, url, timeout):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        if not m:
            raise ValueError("not a ws:// URL: " + url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("WebSocket handshake: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError("WebSocket handshake refused: " + status.decode(errors="replace"))
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        header = bytearray([0x81])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        mask = os.urandom(4)
        header += mask
        self.sock.sendall(bytes(header) + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("WebSocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("WebSocket closed by the browser")
            if opcode in (0x9, 0xA):  # ping/pong: ignore
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name, timeout):
        end = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    return self.events.pop(i)
            if time.monotonic() > end:
                raise TimeoutError("no " + name)
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)


def start_chromium(binary, profile, timeout):
    args = [binary, "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--remote-debugging-port=0",
            f"--user-data-dir={profile}", "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + timeout
    seen = []
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError("chromium did not start its DevTools endpoint:\n" + "".join(seen[-10:]))


def measure(port, url, timeout):
    # a new tab for each measure: nothing cached from the previous one
    with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT"),
                                timeout=timeout) as r:
        target = json.loads(r.read())
    ws = WebSocket(target["webSocketDebuggerUrl"], timeout)
    try:
        page = Page(ws)
        page.call("Page.enable")
        page.call("Page.navigate", url=url)
        page.wait_event("Page.loadEventFired", timeout)
        expr = ("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(JSON.stringify({"
                "painted: performance.now(), "
                "load: performance.getEntriesByType('navigation')[0].loadEventEnd, "
                "elements: document.getElementsByTagName('*').length, "
                "rendered: document.body ? document.body.getAttribute('data-rendered') : null})))))")
        res = page.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        return json.loads(res["result"]["value"])
    finally:
        ws.close()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}", timeout=timeout).read()
        except OSError:
            pass


def main(argv):
    args = list(argv)
    opts = {"--limit-ms": "3000", "--repeat": "3", "--chromium": None}
    files = []
    while args:
        a = args.pop(0)
        if a in opts:
            if not args:
                print(f"html-load.py: {a} needs a value", file=sys.stderr)
                return 2
            opts[a] = args.pop(0)
        elif a.startswith("--"):
            print(f"html-load.py: unknown option {a}", file=sys.stderr)
            return 2
        else:
            files.append(a)
    if len(files) != 1:
        print("usage: bench/html-load.py REPORT.html [--limit-ms 3000] [--repeat 3] [--chromium PATH]", file=sys.stderr)
        return 2
    try:
        limit = float(opts["--limit-ms"])
        repeat = int(opts["--repeat"])
        if repeat < 1:
            raise ValueError
    except ValueError:
        print("html-load.py: --limit-ms is a number, --repeat a count >= 1", file=sys.stderr)
        return 2
    page = pathlib.Path(files[0])
    if not page.is_file():
        print(f"html-load.py: {page}: no such file", file=sys.stderr)
        return 2
    binary = find_chromium(opts["--chromium"])
    if binary is None:
        print("html-load.py: skipped: no chromium installed (apt-get install chromium)")
        return SKIP
    profile = tempfile.mkdtemp(prefix="xensim-html-load-")
    proc = None
    try:
        proc, ws_url = start_chromium(binary, profile, 60)
        port = int(re.match(r"ws://[^:]+:(\d+)/", ws_url).group(1))
        url = page.resolve().as_uri()
        results = []
        for i in range(repeat):
            r = measure(port, url, 120)
            results.append(r)
            print(f"run {i + 1}: load event {r['load']:.0f} ms, painted {r['painted']:.0f} ms, "
                  f"{r['elements']:,} elements, script {'ran' if r['rendered'] == 'ok' else 'did NOT run'}")
        med = statistics.median(r["painted"] for r in results)
        size = page.stat().st_size
        ok = med <= limit and all(r["rendered"] == "ok" for r in results)
        print(f"{page.name}: {size / 1e6:.2f} MB, opened and painted in {med:.0f} ms (median of {repeat}; limit {limit:.0f} ms) "
              f"-> {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
