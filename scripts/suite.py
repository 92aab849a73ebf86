"""What the Python test suites share: how they report, find a free port and start the demo service."""
import datetime
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


def fail(message):
    print(f"FAIL {message}", flush=True)
    raise SystemExit(1)


def ok(message):
    print(f"ok   {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoService:
    """`logatlas serve --demo` on an embedded cluster of its own in `folder`; `env` adds to the environment (a dict,
    or a function of the service's URL giving one)."""

    def __init__(self, binary, folder, env=None):
        os.chmod(folder, 0o755)   # the embedded PostgreSQL runs as the postgres account when we are root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tokens, self.passwords = {}, {}
        environment = dict(os.environ, LOGATLAS_LOG_LEVEL="warning", **((env(self.url) if callable(env) else env) or {}))
        self.process = subprocess.Popen([binary, "serve", "--demo", "--data-dir", os.path.join(folder, "data"), "--port", str(self.port)],
                                        env=environment, stdout=subprocess.PIPE, stderr=open(os.path.join(folder, "serve.log"), "w"), text=True)
        for line in self.process.stdout:
            match = re.match(r"\s*export (TOKEN|PASSWORD)_(\w+)=(\S+)", line)
            if match:
                (self.tokens if match.group(1) == "TOKEN" else self.passwords)[match.group(2)] = match.group(3)
            if line.startswith("Try:"):
                break
        if "IT_OPS" not in self.passwords:
            fail(f"serve --demo printed no console passwords (see {folder}/serve.log)")
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        fail("the service did not start")

    def call(self, method, path, body=None, token=None):
        """(status, parsed JSON or None) of one API call as the demo user `token` (e.g. "CSIRT_LEAD")."""
        request = urllib.request.Request(self.url + path, method=method, data=None if body is None else json.dumps(body).encode())
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {self.tokens[token]}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
                return response.status, (json.loads(data) if data else None)
        except urllib.error.HTTPError as error:
            data = error.read()
            return error.code, (json.loads(data) if data else None)

    def file_request(self, incident, priority="serious"):
        """Files a request as CSIRT_LEAD for the demo's firewall and VPN logs of the last five days; its JSON."""
        sources = []
        for name in ["perimeter-firewall", "vpn-gateway"]:
            status, page = self.call("GET", f"/v1/sources?q={name}", token="CSIRT_LEAD")
            if status != 200 or not page["items"]:
                fail(f"the demo has no source {name} ({status})")
            sources.append(page["items"][0]["id"])
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = lambda days: (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, request = self.call("POST", "/v1/requests", {
            "incident_reference": incident, "purpose": "Checking the service", "priority": priority,
            "window": {"from": stamp(5), "to": stamp(1)}, "sources": sources}, token="CSIRT_LEAD")
        if status != 201:
            fail(f"filing a request answered {status}: {request}")
        return request

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Receiver(http.server.ThreadingHTTPServer):
    """Records every POST (headers, body bytes) and answers 204."""

    def __init__(self):
        self.received = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()
