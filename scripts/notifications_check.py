#!/usr/bin/env python3
"""How LogAtlas reaches people outside it, checked against real peers on loopback:

  Standard Webhooks: `logatlas serve --demo` delivers broker events to a local HTTP receiver, and the receiver
  verifies every delivery with the `standardwebhooks` library (PyPI) given the secret exactly as the subscription
  returned it; a changed body, a wrong secret and a replayed old timestamp are refused by the same library; each
  message has its own webhook-id, and the deprecated LogAtlas-Signature header still verifies for one release.

  E-mail: the same service mails custodians through aiosmtpd (PyPI) over STARTTLS with AUTH PLAIN, trusting the
  test's own CA: a new item, an answered question, the acknowledgement reminder and its escalation, each exactly
  once, to the organisation's member in her language (Japanese) or to the organisation's contacts, with a link to
  the request in the console. `logatlas mail test` sends through a second server with TLS from the first byte, and
  is refused with a wrong password.

usage: scripts/notifications_check.py [path/to/logatlas]   (run with .build/notify-venv/bin/python)
"""
import base64
import email
import email.header
import email.policy
import hashlib
import hmac
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from standardwebhooks import Webhook, WebhookVerificationError

from suite import DemoService, Receiver, fail, free_port, ok   # scripts/suite.py

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


SMTP_USER, SMTP_PASSWORD = "logatlas", "mail-secret-for-tests"
PUBLIC_URL = "https://logatlas.example.test"


class MailServer:
    """aiosmtpd on loopback with the test CA's certificate: STARTTLS required (or TLS from the first byte), and AUTH
    with SMTP_USER / SMTP_PASSWORD; every accepted message is kept (recipients, parsed message, was it over TLS)."""

    def __init__(self, certificate, key, implicit=False):
        self.messages = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
                server.messages.append((envelope.rcpt_tos, message, smtp._tls_protocol is not None or implicit, session.authenticated))
                return "250 OK"

        def authenticate(smtp, session, envelope, mechanism, data):
            return AuthResult(success=(data.login, data.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode()), handled=False)

        self.port = free_port()
        options = dict(hostname="127.0.0.1", port=self.port, authenticator=authenticate, server_hostname="localhost")
        if implicit:
            # aiosmtpd counts only STARTTLS as TLS when it offers AUTH; this connection is TLS from its first byte.
            self.controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **options)
        else:
            self.controller = Controller(Handler(), tls_context=context, require_starttls=True, auth_require_tls=True, **options)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def make_certificate(folder):
    """A self-signed certificate for localhost, which LogAtlas is told to trust (LOGATLAS_SMTP_CA_FILE)."""
    certificate, key = os.path.join(folder, "smtp.pem"), os.path.join(folder, "smtp.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    return certificate, key


def mails(server, to, kind, incident="INC-MAIL-1"):
    """The messages to `to` whose subject names `kind` and `incident`."""
    return [message for rcpts, message, _, _ in server.messages
            if to in rcpts and kind in str(message["Subject"]) and incident in str(message["Subject"])]


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.3)
    fail(f"{what} did not happen within {seconds} s")


def mail_test_command(certificate, key):
    server = MailServer(certificate, key, implicit=True)
    try:
        env = dict(os.environ, LOGATLAS_SMTP_URL=f"smtps://localhost:{server.port}", LOGATLAS_MAIL_FROM="logatlas@example.test",
                   LOGATLAS_SMTP_CA_FILE=certificate, LOGATLAS_SMTP_USERNAME=SMTP_USER, LOGATLAS_SMTP_PASSWORD=SMTP_PASSWORD)
        run = subprocess.run([BINARY, "mail", "test", "soc@example.test"], env=env, capture_output=True, text=True, timeout=60)
        if run.returncode != 0 or len(server.messages) != 1 or not server.messages[0][2] or not server.messages[0][3]:
            fail(f"logatlas mail test over implicit TLS: {run.returncode} {run.stdout} {run.stderr} {len(server.messages)}")
        env["LOGATLAS_SMTP_PASSWORD"] = "wrong-password"
        run = subprocess.run([BINARY, "mail", "test", "soc@example.test"], env=env, capture_output=True, text=True, timeout=60)
        if run.returncode == 0 or "535" not in run.stderr or len(server.messages) != 1:
            fail(f"logatlas mail test with a wrong password: {run.returncode} {run.stderr}")
    finally:
        server.stop()
    ok("logatlas mail test: sent over implicit TLS with AUTH; a wrong password is refused (535) and nothing is sent")


def custodian_mail(service, server):
    sources = []
    for name in ["perimeter-firewall", "branch-firewall"]:
        status, page = service.call("GET", f"/v1/sources?q={name}", token="CSIRT_LEAD")
        sources.append(page["items"][0]["id"])
    now = time.time()
    stamp = lambda days: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days * 86400))
    status, request = service.call("POST", "/v1/requests", {
        "incident_reference": "INC-MAIL-1", "purpose": "Checking e-mail", "priority": "critical",
        "window": {"from": stamp(3), "to": stamp(1)}, "sources": sources}, token="CSIRT_LEAD")
    if status != 201:
        fail(f"filing answered {status}: {request}")
    link = f"{PUBLIC_URL}/requests/{request['id']}"
    # corp-it has no member with an address: its contacts are mailed, in English; East Logistics' administrator has
    # an address and Japanese as her language.
    wait_for(lambda: mails(server, "it-ops@example.com", "New log request") and mails(server, "sysadmin@east.example.jp", "新しいログ提供依頼"),
             30, "the new-item mails")
    english, japanese = mails(server, "it-ops@example.com", "New log request")[0], mails(server, "sysadmin@east.example.jp", "新しいログ提供依頼")[0]
    for message in (english, japanese):
        body = message.get_content()
        if link not in body or "INC-MAIL-1" not in str(message["Subject"]):
            fail(f"a new-item mail lacks the link {link} or the incident: {message['Subject']} {body}")
    if not all(tls and authenticated for _, _, tls, authenticated in server.messages):
        fail("a message was accepted without TLS or without authentication")
    ok(f"new item: mailed over STARTTLS with AUTH to the contacts (English) and the member (Japanese), linking {link}")

    corp = next(item for item in request["items"] if item["custodian_org"] == "corp-it")
    path = f"/v1/requests/{request['id']}/items/{corp['id']}/transitions"
    for action, note, token in [("acknowledge", None, "IT_OPS"), ("ask_info", "Which hosts?", "IT_OPS"),
                                ("answer", "The hosts 10.0.0.5 and 10.0.0.6.", "CSIRT_LEAD")]:
        status, answer = service.call("POST", path, dict(action=action, **({"note": note} if note else {})), token=token)
        if status != 200:
            fail(f"{action} answered {status}: {answer}")
    wait_for(lambda: mails(server, "it-ops@example.com", "Your question was answered"), 30, "the answered-question mail")
    if "10.0.0.5 and 10.0.0.6" not in mails(server, "it-ops@example.com", "Your question was answered")[0].get_content():
        fail("the answered-question mail does not carry the answer")
    ok("question answered: the custodian is mailed the CSIRT's answer")

    # critical=1m/5m: the East item, never acknowledged, is reminded after 30 s and overdue after 60 s, when its
    # escalation contact is mailed too.
    wait_for(lambda: mails(server, "it-manager@east.example.jp", "Overdue"), 120, "the escalation mail")
    time.sleep(6)   # a few more passes of the SLA and mail jobs: nothing may be sent twice
    expected = {("sysadmin@east.example.jp", "新しいログ提供依頼"), ("it-ops@example.com", "New log request"),
                ("it-ops@example.com", "Your question was answered"), ("sysadmin@east.example.jp", "リマインダー"),
                ("sysadmin@east.example.jp", "期限超過"), ("it-manager@east.example.jp", "Overdue")}
    for to, kind in sorted(expected):
        count = len(mails(server, to, kind))
        if count != 1:
            fail(f"{count} mails '{kind}' to {to}, expected exactly one")
    if len(mails(server, "it-ops@example.com", "New log request", incident="INC-NOTIFY-1")) != 1:
        fail("the request filed for the webhook check was not mailed to corp-it exactly once")
    ids = [message["Message-ID"] for _, message, _, _ in server.messages]
    if len(set(ids)) != len(ids):
        fail(f"mails share a Message-ID: {ids}")
    ok(f"reminder and escalation: {len(server.messages)} mails in all, each exactly once, escalation to the escalation contact")


def main():
    folder = tempfile.mkdtemp(prefix="la-notify-")
    certificate, key = make_certificate(folder)
    mail_test_command(certificate, key)
    receiver = Receiver()
    server = MailServer(certificate, key)
    service = DemoService(BINARY, folder, env={
        "LOGATLAS_WEBHOOK_ALLOW": "127.0.0.1/32", "LOGATLAS_SMTP_URL": f"smtp://localhost:{server.port}",
        "LOGATLAS_MAIL_FROM": "logatlas@example.test", "LOGATLAS_SMTP_CA_FILE": certificate,
        "LOGATLAS_SMTP_USERNAME": SMTP_USER, "LOGATLAS_SMTP_PASSWORD": SMTP_PASSWORD, "LOGATLAS_PUBLIC_URL": PUBLIC_URL,
        "LOGATLAS_SLA": "critical=1m/5m", "LOGATLAS_SLA_INTERVAL_SECONDS": "2"})
    try:
        standard_webhooks(service, receiver)
        custodian_mail(service, server)
    finally:
        service.stop()
        receiver.shutdown()
        server.stop()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
