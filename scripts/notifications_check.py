#!/usr/bin/env python3
"""How LogAtlas reaches people outside it, checked against real peers on loopback:

  Standard Webhooks: `logatlas serve --demo` delivers broker events to a local HTTP receiver, and the receiver
  verifies every delivery with the `standardwebhooks` library (PyPI) given the secret exactly as the subscription
  returned it; a changed body, a wrong secret and a replayed old timestamp are refused by the same library; each
  message has its own webhook-id, and the deprecated LogAtlas-Signature header still verifies for one release.

usage: scripts/notifications_check.py [path/to/logatlas]   (run with .build/notify-venv/bin/python)
"""
import hashlib
import hmac
import os
import shutil
import sys
import tempfile
import time

from standardwebhooks import Webhook, WebhookVerificationError

from suite import DemoService, Receiver, fail, ok   # scripts/suite.py

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/logatlas")


def standard_webhooks(service, receiver):
    status, subscription = service.call("POST", "/v1/webhooks", {
        "url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "events": ["item.requested"]}, token="CSIRT_LEAD")
    if status != 201:
        fail(f"subscribing answered {status}: {subscription}")
    secret = subscription["secret"]
    if not secret.startswith("whsec_"):
        fail(f"the secret is not in the Standard Webhooks form whsec_<base64>: {secret[:10]}…")
    request = service.file_request("INC-NOTIFY-1")
    expected = len(request["items"])
    deadline = time.time() + 60
    while len(receiver.received) < expected and time.time() < deadline:
        time.sleep(0.2)
    if len(receiver.received) < expected:
        fail(f"{len(receiver.received)} of {expected} item.requested deliveries arrived within 60 s")
    webhook = Webhook(secret)
    ids = set()
    for headers, body in receiver.received:
        try:
            payload = webhook.verify(body, headers)
        except WebhookVerificationError as error:
            fail(f"standardwebhooks refused a delivery: {error} (headers {headers})")
        if payload["event"] != "item.requested" or payload["request"]["id"] != request["id"]:
            fail(f"a delivery describes something else: {payload}")
        ids.add(headers["webhook-id"])
        for changed, key, why in [(body + b" ", secret, "a changed body"),
                                  (body, "whsec_" + "A" * 43 + "=", "a wrong secret")]:
            try:
                Webhook(key).verify(changed, headers)
                fail(f"standardwebhooks accepted {why}")
            except WebhookVerificationError:
                pass
        old = dict(headers, **{"webhook-timestamp": str(int(time.time()) - 3600)})
        try:
            webhook.verify(body, old)
            fail("standardwebhooks accepted a delivery replayed an hour later")
        except WebhookVerificationError:
            pass
        # Deprecated for one release: LogAtlas-Signature t=<unix>,v1=<hex HMAC(secret text, "<t>.<body>")>.
        legacy = dict(part.split("=", 1) for part in headers["LogAtlas-Signature"].split(","))
        mac = hmac.new(secret.encode(), legacy["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, legacy["v1"]) or headers["LogAtlas-Delivery"] != headers["webhook-id"]:
            fail("the deprecated LogAtlas-Signature / LogAtlas-Delivery headers no longer verify")
    if len(ids) != len(receiver.received):
        fail(f"deliveries share a webhook-id: {sorted(ids)}")
    ok(f"standard webhooks: {len(receiver.received)} deliveries verified by standardwebhooks; changed body, "
       "wrong secret and an hour-old timestamp refused; deprecated headers still verify")


def main():
    folder = tempfile.mkdtemp(prefix="la-notify-")
    receiver = Receiver()
    service = DemoService(BINARY, folder, env={"LOGATLAS_WEBHOOK_ALLOW": "127.0.0.1/32"})
    try:
        standard_webhooks(service, receiver)
    finally:
        service.stop()
        receiver.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
