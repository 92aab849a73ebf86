#!/usr/bin/env python3
"""The production topology under faults, from local processes (deploy/local-cluster.sh): one PostgreSQL, three
`logatlas serve` replicas, nginx with deploy/nginx.conf's rules, moto's S3 server — all on loopback.

A mixed load runs through the balancer for LOAD_SECONDS (inventory reads and writes, filing, transitions, evidence
uploads to S3) while replica 2 is killed with SIGKILL and started again, and PostgreSQL is restarted. Afterwards:
  - every write answered 2xx is there (sources in the export, requests with their items at least as far as the last
    acknowledged transition, each upload downloadable with its SHA-256);
  - nothing is half-applied: `logatlas backup` finds every artifact the database names in S3 with its digest, and
    `logatlas audit verify` walks the chain intact;
  - the migrations ran once (one replica applied them all; the three started together);
  - every webhook message reached the receiver, and no SLA event was sent for an item twice;
  - every failed request was a problem+json 503 (the replicas' own, or nginx's for a cut-off POST), none hung.
Prints the figures: failed requests per fault, the time the balancer needed to route around the killed replica, and
the time until the service answered again after PostgreSQL came back (target 5 s).

usage: scripts/cluster_check.py [path/to/logatlas]   (default .build/debug/logatlas; run with .build/deploy-venv/bin/python)
       CLUSTER_FAULTS=replica,postgres (default; either alone), CLUSTER_LOAD_SECONDS=40, CLUSTER_KEEP=1 keeps the folder
"""
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from suite import Receiver, fail, ok   # scripts/suite.py

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/logatlas"))
CLUSTER = os.path.join(ROOT, "deploy/local-cluster.sh")
LOAD_SECONDS = int(os.environ.get("CLUSTER_LOAD_SECONDS", "40"))
# Which faults to inject: "replica" (SIGKILL of replica 2, then a restart) and "postgres" (a fast restart).
FAULTS = os.environ.get("CLUSTER_FAULTS", "replica,postgres").split(",")
TIMEOUT = 20   # a request that takes longer has hung
FIGURES = {}


class Cluster:
    def __init__(self, folder, receiver):
        self.folder = folder
        env = dict(os.environ, LOGATLAS_WEBHOOK_ALLOW="127.0.0.1/32", LOGATLAS_SLA="serious=1m/2m", LOGATLAS_LOG_LEVEL="info")
        self.env = env
        self.script("start", BINARY)
        self.settings = {}
        with open(os.path.join(folder, "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                self.settings[key] = value
        balancer = urllib.parse.urlparse(self.settings["BALANCER_URL"])
        self.host, self.port = balancer.hostname, balancer.port
        self.receiver = receiver

    def script(self, *args):
        result = subprocess.run([CLUSTER, args[0], self.folder, *args[1:]], env=self.env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            fail(f"local-cluster.sh {args[0]}: {result.stderr or result.stdout}")

    def call(self, method, path, body=None, token="ADMIN", raw=None, timeout=TIMEOUT):
        """(status, headers, body bytes) through the balancer; raises OSError on no answer."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        headers = {"Authorization": f"Bearer {self.settings['TOKEN_' + token]}"}
        data = raw
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def psql(self, sql):
        bins = sorted(os.listdir("/usr/lib/postgresql"), key=int)
        result = subprocess.run([f"/usr/lib/postgresql/{bins[-1]}/bin/psql", self.settings["DATABASE_URL"], "-Atc", sql],
                                capture_output=True, text=True, check=True)
        return result.stdout.strip()


class Load:
    """Four kinds of work in threads, recording what was acknowledged and how each failure looked."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sources, self.requests, self.uploads = [], {}, {}   # name; id -> last state; artifact -> (request, sha256)
        self.failures = []   # (time, status or "no answer", content type)
        self.hung = []
        self.answered = 0
        systems = json.loads(cluster.call("GET", "/v1/systems?limit=50")[2])["items"]
        self.system = systems[0]
        page = json.loads(cluster.call("GET", "/v1/sources?q=perimeter-firewall")[2])["items"]
        self.firewall = page[0]["id"]

    def call(self, method, path, body=None, token="ADMIN", raw=None):
        sent = time.time()
        try:
            status, headers, data = self.cluster.call(method, path, body, token, raw)
        except TimeoutError:
            self.hung.append(f"{method} {path} sent at {time.strftime('%H:%M:%S', time.localtime(sent))}")
            return None, None
        except (OSError, http.client.HTTPException):
            with self.lock:
                self.failures.append((time.time(), "no answer", ""))
            return None, None
        with self.lock:
            self.answered += 1
            if status >= 300:
                self.failures.append((time.time(), status, headers.get("Content-Type", "")))
        return status, data

    def reader(self):
        while not self.stop.is_set():
            self.call("GET", "/v1/sources?limit=50")

    def writer(self):
        index = 0
        while not self.stop.is_set():
            index += 1
            name = f"cluster-{index}"
            status, _ = self.call("POST", "/v1/sources", {
                "system": self.system["id"], "name": name, "log_type": "network.firewall",
                "custodian_org": self.system["owner_org"], "retention_tiers": [{"medium": "siem", "days": 30}]})
            if status and 200 <= status < 300:
                with self.lock:
                    self.sources.append(name)

    def broker(self, worker):
        index = 0
        while not self.stop.is_set():
            index += 1
            now = time.time()
            stamp = lambda days: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days * 86400))
            status, data = self.call("POST", "/v1/requests", {
                "incident_reference": f"INC-CLUSTER-{worker}-{index}", "purpose": "Cluster check", "priority": "serious",
                "window": {"from": stamp(3), "to": stamp(1)}, "sources": [self.firewall]}, token="CSIRT_LEAD")
            if not status or status != 201:
                continue
            request = json.loads(data)
            rid, item = request["id"], request["items"][0]["id"]
            with self.lock:
                self.requests[rid] = "requested"
            for action in ["acknowledge", "approve"]:
                status, _ = self.call("POST", f"/v1/requests/{rid}/items/{item}/transitions", {"action": action})
                if status != 200:
                    break
                with self.lock:
                    self.requests[rid] = {"acknowledge": "acknowledged", "approve": "approved"}[action]
            else:
                content = f"{rid} evidence {index}\n".encode() * 2000
                status, data = self.call("POST", f"/v1/requests/{rid}/items/{item}/artifacts?file_name=fw.log", raw=content)
                if status == 201:
                    with self.lock:
                        self.uploads[json.loads(data)["id"]] = (rid, hashlib.sha256(content).hexdigest())

    def run(self, faults):
        threads = [threading.Thread(target=self.reader, daemon=True), threading.Thread(target=self.writer, daemon=True)]
        threads += [threading.Thread(target=self.broker, args=(w,), daemon=True) for w in range(2)]
        for thread in threads:
            thread.start()
        started = time.time()
        faults(started)
        while time.time() - started < LOAD_SECONDS:
            time.sleep(0.5)
        self.stop.set()
        for thread in threads:
            thread.join(TIMEOUT + 5)


def first_read_after(cluster, since, label):
    """Seconds from `since` until a read through the balancer answers 200."""
    deadline = since + 60
    while time.time() < deadline:
        try:
            if cluster.call("GET", "/v1/sources?limit=1", timeout=5)[0] == 200:
                FIGURES[label] = round(time.time() - since, 2)
                return
        except OSError:
            pass
        time.sleep(0.05)
    fail(f"{label}: no answer within 60 s")


def verify(cluster, load):
    if load.hung:
        fail(f"{len(load.hung)} requests hung (no answer in {TIMEOUT} s), e.g. {load.hung[0]}")
    unclean = [f for f in load.failures if f[1] != "no answer" and not (f[1] == 503 and "problem+json" in f[2])
               and f[1] not in (409, 404)]
    if unclean:
        fail(f"a failed request answered {unclean[0][1]} {unclean[0][2]}, not a problem+json 503")
    FIGURES["requests answered"] = load.answered
    FIGURES["requests failed (503 / no answer)"] = f"{sum(1 for f in load.failures if f[1] == 503)} / {sum(1 for f in load.failures if f[1] == 'no answer')}"

    status, _, body = cluster.call("GET", "/v1/inventory/export?format=csv")
    lost = [name for name in load.sources if f",{name}," not in body.decode()]
    if status != 200 or lost:
        fail(f"{len(lost)} acknowledged source writes lost, e.g. {lost[:3]}")
    order = ["requested", "acknowledged", "approved", "in_progress", "delivered"]
    for rid, state in load.requests.items():
        status, _, body = cluster.call("GET", f"/v1/requests/{rid}")
        if status != 200:
            fail(f"acknowledged request {rid} answers {status}")
        now = json.loads(body)["items"][0]["state"]
        if now not in order or order.index(now) < order.index(state):
            fail(f"request {rid}: acknowledged as {state}, stored as {now}")
    for artifact, (rid, sha256) in load.uploads.items():
        status, _, body = cluster.call("GET", f"/v1/requests/{rid}/artifacts/{artifact}/content", token="CSIRT_LEAD")
        if status != 200 or hashlib.sha256(body).hexdigest() != sha256:
            fail(f"acknowledged upload {artifact} answers {status} or differs")
    ok(f"every acknowledged write is there: {len(load.sources)} sources, {len(load.requests)} requests, "
       f"{len(load.uploads)} uploads downloadable with their SHA-256")

    environment = dict(os.environ, DATABASE_URL=cluster.settings["DATABASE_URL"], LOGATLAS_S3_URL=cluster.settings["S3_URL"] + "/evidence",
                       AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    backup = subprocess.run([BINARY, "backup", "-o", os.path.join(cluster.folder, "after.backup")], env=environment, capture_output=True, text=True)
    audit = subprocess.run([BINARY, "audit", "verify"], env=environment, capture_output=True, text=True)
    if backup.returncode != 0 or audit.returncode != 0:
        fail(f"half-applied state: {backup.stdout}{backup.stderr}{audit.stdout}{audit.stderr}")
    ok(f"nothing half-applied: {backup.stdout.strip().splitlines()[-1]}; {audit.stdout.strip()}")

    logs = [open(os.path.join(cluster.folder, f"replica{n}.log")).read().count("applying migration") for n in (1, 2, 3)]
    migrations = len([f for f in os.listdir(os.path.join(ROOT, "schema/migrations")) if f.endswith(".sql")])
    if sum(logs) != migrations or max(logs) != migrations:
        fail(f"migrations applied {logs} times by the three replicas; expected {migrations} by one")
    ok(f"migrations ran once: {migrations} by one replica, none by the other two")


def webhooks(cluster):
    """Waits until the outbox is drained and at least one SLA event went out; checks what the receiver got."""
    deadline = time.time() + 150   # the SLA job runs each minute on one replica
    while time.time() < deadline:
        pending = int(cluster.psql("SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL"))
        sla = int(cluster.psql("SELECT count(*) FROM webhook_outbox WHERE event LIKE 'sla.%' AND delivered_at IS NOT NULL"))
        if pending == 0 and sla > 0:
            break
        time.sleep(1)
    else:
        fail(f"the webhook outbox did not drain with an SLA event delivered ({pending} pending, {sla} SLA events)")
    expected = int(cluster.psql("SELECT count(*) FROM webhook_outbox"))
    ids = [headers.get("webhook-id") for headers, _ in cluster.receiver.received]
    distinct = set(ids)
    if len(distinct) != expected:
        fail(f"{len(distinct)} distinct webhook messages received, {expected} in the outbox")
    seen = {}
    for (headers, body) in cluster.receiver.received:
        payload = json.loads(body)
        if payload.get("event", "").startswith("sla."):
            seen.setdefault((payload["event"], payload["item"]["id"]), set()).add(headers.get("webhook-id"))
    twice = [key for key, messages in seen.items() if len(messages) > 1]
    if twice:
        fail(f"SLA event sent twice for one item: {twice[0]}")
    FIGURES["webhook messages / deliveries received (at-least-once)"] = f"{expected} / {len(ids)}"
    ok(f"webhooks: all {expected} messages delivered ({len(ids) - expected} repeated deliveries), "
       f"{len(seen)} SLA events each sent once")


def main():
    folder = tempfile.mkdtemp(prefix="la-cluster-")
    receiver = Receiver()
    cluster = None
    try:
        cluster = Cluster(folder, receiver)
        ok(f"local cluster up: PostgreSQL, 3 replicas, nginx, moto S3 ({cluster.settings['BALANCER_URL']})")
        status, _, body = cluster.call("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook"}, token="CSIRT_LEAD")
        if status != 201:
            fail(f"subscribing answered {status}: {body[:200]}")
        load = Load(cluster)

        def faults(started):
            def run():
                time.sleep(10)
                if "replica" in FAULTS:
                    cluster.script("kill-replica", "2")
                    killed = time.time()
                    ok(f"replica 2 killed at {time.strftime('%H:%M:%S')}")
                    first_read_after(cluster, killed, "reads answered again after SIGKILL of a replica (s)")
                    time.sleep(5)
                    cluster.script("start-replica", "2")
                time.sleep(5)
                if "postgres" in FAULTS:
                    ok(f"PostgreSQL restarting at {time.strftime('%H:%M:%S')}")
                    cluster.script("restart-postgres")
                    first_read_after(cluster, time.time(), "service answered again after PostgreSQL came back (s)")
            threading.Thread(target=run, daemon=True).start()

        load.run(faults)
        ok(f"mixed load for {LOAD_SECONDS} s through nginx; faults: {', '.join(FAULTS)}")
        verify(cluster, load)
        webhooks(cluster)
        print(json.dumps(FIGURES, indent=2))
    finally:
        if cluster and not os.environ.get("CLUSTER_KEEP"):
            cluster.script("stop")
        receiver.shutdown()
        if not os.environ.get("CLUSTER_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
