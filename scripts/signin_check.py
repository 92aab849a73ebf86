#!/usr/bin/env python3
"""Console sign-in through an OpenID Connect provider, against `oidc-provider-mock` (PyPI) on loopback.

`logatlas serve --demo` is configured with the mock as its provider (authorization code with PKCE, a sign-in mapping
file) and with LogAtlas passwords switched off. A browser (plain HTTP, cookies kept by hand, redirects followed one
by one) then signs in: a CSIRT member whose group creates an account, a vendor's custodian linked to the user an
administrator created, and people the mapping refuses. The provider's token answer is also tampered with on the way
out (it stays the mock's own token endpoint): an ID token signed by another key, for another audience, expired, or
carrying another nonce must each be refused, and so must a replayed or cross-browser callback.

usage: scripts/signin_check.py [path/to/logatlas]   (run with .build/signin-venv/bin/python)
"""
import base64
import logging
import hashlib
import html
import http.cookies
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"   # the mock refuses plain HTTP otherwise; everything is on loopback
import authlib.deprecate                            # noqa: E402  it sets its warnings to "always"; quieten them after
warnings.filterwarnings("ignore", category=authlib.deprecate.AuthlibDeprecationWarning)
logging.getLogger("werkzeug").setLevel(logging.ERROR)
logging.getLogger("oidc_provider_mock").setLevel(logging.ERROR)

import flask                                        # noqa: E402
import werkzeug.serving                             # noqa: E402
from authlib import jose                            # noqa: E402
from oidc_provider_mock import app as provider_app  # noqa: E402
from oidc_provider_mock._storage import User        # noqa: E402

from suite import DemoService, fail, free_port, ok  # noqa: E402  scripts/suite.py

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/logatlas")
CLIENT_ID = "logatlas-console"

MAPPING = """\
username_claims: [preferred_username, email]
groups_claim: groups
rules:
  - group: csirt-team
    role: csirt
    orgs: [csirt]
    create_users: true
  - group: netcare-staff
    role: custodian
    orgs: [netcare]
"""

PEOPLE = [
    User(sub="u-alice", claims={"preferred_username": "alice.csirt", "email": "alice@example.com", "groups": ["csirt-team"]}),
    User(sub="u-netcare", claims={"preferred_username": "netcare-soc", "email": "soc@netcare.example", "groups": ["netcare-staff"]}),
    User(sub="u-newvendor", claims={"preferred_username": "new.vendor", "groups": ["netcare-staff"]}),
    User(sub="u-outsider", claims={"preferred_username": "outsider", "groups": ["marketing"]}),
    User(sub="u-imposter", claims={"preferred_username": "netcare-soc", "groups": ["netcare-staff"]}),
]


class Provider:
    """The mock provider in this process, with a hook that may rewrite the ID token its token endpoint returns."""

    def __init__(self):
        self.tamper = None          # a function (claims, header) -> (claims, header, key) or None
        self.challenges = {}        # state -> code_challenge sent by LogAtlas
        self.verifiers = []         # code_verifier values received at the token endpoint
        app = provider_app(user_claims=PEOPLE, require_nonce=True)
        provider = self

        @app.before_request
        def record_pkce():
            request = flask.request
            if request.path == "/oauth2/authorize":
                if request.args.get("code_challenge_method") != "S256":
                    fail(f"the authorization request does not use PKCE S256: {dict(request.args)}")
                provider.challenges[request.args["state"]] = request.args["code_challenge"]
            if request.path == "/oauth2/token":
                provider.verifiers.append(request.form.get("code_verifier"))

        @app.after_request
        def rewrite_token(response):
            if flask.request.path != "/oauth2/token" or provider.tamper is None or response.status_code != 200:
                return response
            body = response.get_json()
            key = flask.g.oidc_provider_mock_storage.jwk
            token = jose.jwt.decode(body["id_token"], key)
            header = {"alg": "RS256", "kid": key.as_dict()["kid"]}
            claims, header, signing_key = provider.tamper(dict(token), header, key)
            body["id_token"] = jose.jwt.encode(header, claims, signing_key).decode()
            response.set_data(json.dumps(body))
            return response

        self.server = werkzeug.serving.make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies per host, redirects returned rather than followed."""

    def __init__(self):
        self.cookies = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, url, form=None):
        host = urllib.parse.urlsplit(url).netloc
        request = urllib.request.Request(url, data=None if form is None else urllib.parse.urlencode(form).encode())
        jar = self.cookies.setdefault(host, {})
        if jar:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
        return response.status, response.headers, response.read().decode(errors="replace")

    def sign_in(self, service, sub):
        """Runs the code flow for the provider's person `sub`: (final status, location, page text, callback URL)."""
        status, headers, _ = self.request(service.url + "/login/oidc")
        if status != 303:
            fail(f"/login/oidc answered {status}")
        authorize = headers["Location"]
        status, headers, page = self.request(authorize, {"sub": sub})
        if status not in (302, 303):
            fail(f"the provider's authorize form answered {status}: {page[:300]}")
        callback = headers["Location"]
        if not callback.startswith(service.url + "/login/oidc/callback?"):
            fail(f"the provider sent the browser to {callback}")
        status, headers, page = self.request(callback)
        return status, headers.get("Location"), page, callback


def expect_refused(service, sub, why, needle):
    browser = Browser()
    status, location, page, _ = browser.sign_in(service, sub)
    if status != 403 or "la_session" in browser.cookies.get(urllib.parse.urlsplit(service.url).netloc, {}):
        fail(f"{why}: answered {status} → {location}, a session cookie: {browser.cookies}")
    reason = re.search(r"\(([^()]*)\)</p>", page)
    if needle not in page or not reason:
        fail(f"{why}: the refusal page does not say '{needle}': {page[:600]}")
    return html.unescape(reason.group(1))


def check(service, provider):
    status, _, page = Browser().request(service.url + "/login")
    if status != 200 or 'id="sign-in-oidc"' not in page or 'name="password"' in page:
        fail("the sign-in page does not offer the provider alone (LogAtlas passwords are switched off)")
    status, _, page = Browser().request(service.url + "/login", {"username": "admin", "password": service.passwords["ADMIN"], "csrf_token": "x"})
    if status != 403:
        fail(f"a password sign-in answered {status} with passwords switched off")
    ok("sign-in page offers the provider only; a password sign-in is refused (403)")

    alice = Browser()
    status, location, page, callback = alice.sign_in(service, "u-alice")
    if status != 303 or location != "/":
        fail(f"alice's sign-in answered {status} → {location}: {page[:600]}")
    status, _, home = alice.request(service.url + "/")
    if status != 200 or "<strong>alice.csirt</strong>" not in home:
        fail(f"alice's home page does not show her signed in ({status})")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["state"][0]
    verifier = provider.verifiers[-1]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if provider.challenges.get(state) != challenge:
        fail("the code verifier sent to the token endpoint does not match the PKCE challenge of the authorization request")
    ok("a CSIRT member's group creates her account on first sign-in; PKCE verifier matches its S256 challenge")

    status, _, _ = alice.request(callback)
    if status != 403:
        fail(f"replaying the callback answered {status}")
    stranger = Browser()
    _, headers, _ = stranger.request(service.url + "/login/oidc")
    _, headers, _ = stranger.request(headers["Location"], {"sub": "u-alice"})
    victim = Browser()   # another browser given the callback (login CSRF): it lacks the state cookie
    status, _, _ = victim.request(headers["Location"])
    if status != 403 or "la_session" in victim.cookies.get(urllib.parse.urlsplit(service.url).netloc, {}):
        fail(f"a callback in a browser that did not start the sign-in answered {status}")
    ok("a replayed callback and a callback in another browser are refused")

    vendor = Browser()
    status, location, page, _ = vendor.sign_in(service, "u-netcare")
    status, _, home = vendor.request(service.url + "/")
    if "<strong>netcare-soc</strong>" not in home:
        fail(f"the vendor's custodian was not signed in as the existing user netcare-soc ({status})")
    ok("a vendor's custodian is linked to the user the administrator created")

    expect_refused(service, "u-newvendor", "an unknown vendor person", "has no LogAtlas account")
    expect_refused(service, "u-outsider", "a person in no mapped group", "no sign-in rule admits outsider")
    expect_refused(service, "u-imposter", "another person with a linked user's name", "belongs to another person")
    ok("an unknown person under a rule that creates nobody, an unmapped group and a reused name are refused")

    other_key = jose.RSAKey.generate_key(is_private=True)
    tampering = [
        ("forged (signed by another key)", lambda c, h, k: (c, h, other_key), "signature"),
        ("for another audience", lambda c, h, k: (dict(c, aud="another-app"), h, k), "audience"),
        ("expired an hour ago", lambda c, h, k: (dict(c, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), h, k), "expired"),
        ("with another sign-in's nonce", lambda c, h, k: (dict(c, nonce="la_someone-elses-nonce-000000000000000000000"), h, k), "nonce"),
        ("from another issuer", lambda c, h, k: (dict(c, iss="https://evil.example"), h, k), "issued by"),
    ]
    for why, rewrite, needle in tampering:
        provider.tamper = rewrite
        reason = expect_refused(service, "u-alice", f"an ID token {why}", needle)
        ok(f"an ID token {why} is refused (403, no session): {reason}")
    provider.tamper = None


def main():
    folder = tempfile.mkdtemp(prefix="la-signin-")
    provider = Provider()
    mapping = os.path.join(folder, "oidc-mapping.yaml")
    with open(mapping, "w") as file:
        file.write(MAPPING)
    service = None
    try:
        service = DemoService(BINARY, folder, env=lambda url: {
            "LOGATLAS_OIDC_ISSUER": provider.url, "LOGATLAS_OIDC_CLIENT_ID": CLIENT_ID,
            "LOGATLAS_OIDC_CLIENT_SECRET": "s3cret-of-the-console", "LOGATLAS_OIDC_MAPPING": mapping,
            "LOGATLAS_OIDC_REDIRECT_URL": url + "/login/oidc/callback",
            "LOGATLAS_OIDC_NAME": "Example SSO", "LOGATLAS_LOCAL_PASSWORDS": "0",
        })
        check(service, provider)
    finally:
        if service:
            service.stop()
        provider.server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
