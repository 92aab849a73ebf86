#!/usr/bin/env python3
"""Checks the deployment files in deploy/ as far as this machine can (no container engine, no cluster):

  1. Kubernetes: every manifest of the kustomize base validated (strict) against the Kubernetes schemas with
     kubernetes-validate; the kustomization lists exactly the base's manifests; the Deployment runs non-root with
     a read-only root filesystem, probes /readyz and /healthz, and takes its secrets from a Secret;
  2. systemd: `systemd-analyze verify` of the unit says nothing (unknown keys are only warnings there, so any
     output fails), and `systemd-analyze security` rates its exposure at most 2.0;
  3. compose: the file parses; PostgreSQL 16, two LogAtlas replicas built from deploy/Containerfile, the load
     balancer and the S3 store are there; every dependency names a service; what it mounts exists;
  4. nginx: the load balancer's configuration passes `nginx -t` (replica names pointed at loopback);
  5. Containerfile: multi-stage, a non-root USER, a HEALTHCHECK on /healthz, the resource bundles beside the binary;
  6. Grafana: the dashboard parses, and every metric its queries use is in what a live `logatlas serve --demo`
     answers on /metrics once it has served requests, stored a gap report and run its background jobs (a
     histogram's _bucket series from a histogram), so a renamed metric cannot leave the dashboard blank.

usage: scripts/deploy_check.py [path/to/logatlas]   (default .build/debug/logatlas; run with the deploy venv's python)
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

from suite import DemoService, fail, ok   # scripts/suite.py

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEPLOY = os.path.join(ROOT, "deploy")
BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/logatlas"))
KUBERNETES_VERSION = "1.30.0"


def kubernetes():
    base = os.path.join(DEPLOY, "kubernetes")
    with open(os.path.join(base, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    listed = sorted(kustomization["resources"])
    present = sorted(os.path.basename(p) for p in glob.glob(os.path.join(base, "*.yaml"))
                     if not p.endswith(("kustomization.yaml", ".example.yaml")))
    if listed != present:
        fail(f"kustomization resources {listed} are not the manifests in deploy/kubernetes {present}")
    validator = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    files = [os.path.join(base, name) for name in listed] + glob.glob(os.path.join(base, "*.example.yaml"))
    result = subprocess.run([validator, "--strict", "--quiet", "-k", KUBERNETES_VERSION] + files, capture_output=True, text=True)
    if result.returncode != 0 or "error" in (result.stdout + result.stderr).lower():
        fail(f"kubernetes-validate:\n{result.stdout}{result.stderr}")
    kinds = {}
    for path in files:
        with open(path) as f:
            for document in yaml.safe_load_all(f):
                kinds[document["kind"]] = document
    for kind in ["Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "ServiceAccount"]:
        if kind not in kinds:
            fail(f"the kustomize base has no {kind}")
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    if not pod["securityContext"].get("runAsNonRoot") or not container["securityContext"].get("readOnlyRootFilesystem"):
        fail("the Deployment must run non-root with a read-only root filesystem")
    if container["readinessProbe"]["httpGet"]["path"] != "/readyz" or container["livenessProbe"]["httpGet"]["path"] != "/healthz":
        fail("readiness must probe /readyz and liveness /healthz")
    secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    if not {"DATABASE_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= secrets:
        fail(f"DATABASE_URL and the S3 keys must come from a Secret (from a Secret: {sorted(secrets)})")
    ok(f"kubernetes: {len(files)} manifests valid against Kubernetes {KUBERNETES_VERSION} (strict); non-root, read-only, probes, secrets")


def systemd():
    folder = tempfile.mkdtemp(prefix="la-unit-")
    try:
        # verify insists that ExecStart names an executable; point it at the binary that was built.
        with open(os.path.join(DEPLOY, "systemd", "logatlas.service")) as f:
            unit = f.read().replace("/usr/local/bin/logatlas", BINARY)
        path = os.path.join(folder, "logatlas.service")
        with open(path, "w") as f:
            f.write(unit)
        verify = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
        said = (verify.stdout + verify.stderr).strip()
        if verify.returncode != 0 or said:
            fail(f"systemd-analyze verify:\n{said}")
        security = subprocess.run(["systemd-analyze", "security", "--offline=yes", path], capture_output=True, text=True)
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security.stdout + security.stderr)
        if not match:
            fail(f"systemd-analyze security gave no exposure level:\n{security.stdout}{security.stderr}")
        exposure = float(match.group(1))
        if exposure > 2.0:
            fail(f"the unit's exposure level is {exposure} (at most 2.0)")
        for directive in ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "EnvironmentFile="]:
            if directive not in unit:
                fail(f"the unit lacks {directive}")
        ok(f"systemd: the unit verifies cleanly; exposure {exposure} (systemd-analyze security)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def compose():
    with open(os.path.join(DEPLOY, "compose.yaml")) as f:
        document = yaml.safe_load(f)
    services = document["services"]
    for name in ["postgres", "logatlas-1", "logatlas-2", "lb", "s3"]:
        if name not in services:
            fail(f"compose.yaml has no service {name}")
    if not services["postgres"]["image"].endswith("postgres:16"):
        fail("compose.yaml must run PostgreSQL 16")
    for name in ["logatlas-1", "logatlas-2"]:
        service = services[name]
        build = service["build"]
        dockerfile = os.path.normpath(os.path.join(DEPLOY, build["context"], build["dockerfile"]))
        if dockerfile != os.path.join(DEPLOY, "Containerfile"):
            fail(f"{name} is not built from deploy/Containerfile ({dockerfile})")
        if "DATABASE_URL" not in service["environment"] or "LOGATLAS_S3_URL" not in service["environment"]:
            fail(f"{name} needs DATABASE_URL and LOGATLAS_S3_URL")
        if service["depends_on"]["postgres"]["condition"] != "service_healthy":
            fail(f"{name} must wait for a healthy PostgreSQL")
    for name, service in services.items():
        depends = service.get("depends_on", [])
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                fail(f"{name} depends on {other}, which is not a service")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(".") and not os.path.exists(os.path.join(DEPLOY, source)):
                fail(f"{name} mounts {source}, which does not exist")
    ok(f"compose: {len(services)} services; PostgreSQL 16, two replicas from deploy/Containerfile, nginx, S3")
    return services


def nginx():
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        fail("nginx is not installed (scripts/install-deps.sh installs it)")
    folder = tempfile.mkdtemp(prefix="la-nginx-")
    try:
        with open(os.path.join(DEPLOY, "nginx.conf")) as f:
            conf = f.read()
        conf = re.sub(r"logatlas-(\d):8080", lambda m: f"127.0.0.1:{18080 + int(m.group(1))}", conf)
        path = os.path.join(folder, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        os.makedirs(os.path.join(folder, "logs"))
        result = subprocess.run([binary, "-t", "-p", folder, "-c", path, "-e", "stderr", "-g", f"pid {folder}/nginx.pid;"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"nginx -t:\n{result.stderr}")
        ok("nginx: the load balancer's configuration passes nginx -t")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def containerfile():
    with open(os.path.join(DEPLOY, "Containerfile")) as f:
        lines = [line.strip() for line in f if line.strip() and not line.strip().startswith("#")]
    stages = [line for line in lines if line.startswith("FROM ")]
    if len(stages) < 2:
        fail("the Containerfile must build in one stage and run in another")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        fail("the image must run as a non-root USER")
    text = "\n".join(lines)
    if "HEALTHCHECK" not in text or "/healthz" not in text:
        fail("the image needs a HEALTHCHECK on /healthz")
    if ".resources" not in text:
        fail("the image must carry the resource bundles beside the binary")
    ok(f"Containerfile: {len(stages)} stages, USER {users[-1]}, HEALTHCHECK on /healthz, resource bundles copied")


def grafana():
    with open(os.path.join(DEPLOY, "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    used = {}   # metric name → the panel titles that query it
    for panel in dashboard["panels"]:
        if not panel.get("targets"):
            fail(f"grafana: panel {panel.get('title')!r} has no query")
        for target in panel["targets"]:
            for name in re.findall(r"\blogatlas_\w+", target["expr"]):
                used.setdefault(name, []).append(panel["title"])
    folder = tempfile.mkdtemp(prefix="la-grafana-")
    # A one-minute delivery SLA makes the request filed below overdue within the wait.
    service = DemoService(BINARY, folder, env={"LOGATLAS_SLA": "serious=1m/1m"})
    try:
        service.file_request("INC-GRAFANA-1")
        status, _ = service.call("POST", "/v1/gap-reports", token="CSIRT_LEAD")
        if status != 200:
            fail(f"grafana: storing a gap report answered {status}")
        families, deadline = {}, time.time() + 120
        while time.time() < deadline:   # until the item is overdue and the SLA job has made its first pass
            with urllib.request.urlopen(service.url + "/metrics", timeout=10) as response:
                text = response.read().decode()
            families = dict(re.findall(r"^# TYPE (logatlas_\w+) (\w+)$", text, re.M))
            if {re.sub(r"_(bucket|count|sum)$", "", name) for name in used} <= families.keys():
                break
            time.sleep(2)
        for name, panels in sorted(used.items()):
            base = re.sub(r"_(bucket|count|sum)$", "", name)
            if name.endswith("_bucket") and families.get(base) != "histogram":
                fail(f"grafana: {panels[0]!r} reads {name}, but /metrics has no histogram {base}")
            if base not in families:
                fail(f"grafana: {panels[0]!r} reads {name}, which /metrics does not serve ({sorted(families)})")
        ok(f"grafana: {len(dashboard['panels'])} panels; all {len(used)} metrics they read are served by /metrics")
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    kubernetes()
    systemd()
    compose()
    nginx()
    containerfile()
    grafana()


if __name__ == "__main__":
    main()
