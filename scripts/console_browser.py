#!/usr/bin/env python3
"""The console's stories in a real headless Chromium (Selenium + chromium-driver), with the axe-core check.

Usage: console_browser.py path/to/logatlas   (run by `make test` with .build/browser-venv/bin/python)

Starts `logatlas serve --demo` on a fresh embedded database and, as the demo users with the passwords it prints:
  1. the CSIRT lead composes a request on the desk (search, pick a source, window, priority, purpose, hints), sees
     the feasibility preview and files it;
  2. IT signs in, finds it in the inbox, acknowledges it and asks a question;
  3. the CSIRT lead answers on the request page;
  4. IT approves, uploads a file (progress bar, SHA-256 shown once stored) and delivers;
  5. the CSIRT lead downloads it (same SHA-256) and receives it with an outcome;
  6. IT sees the outcome;
  7. the vendor's SOC makes a guest link with a passphrase for its item of the demo request, and an engineer without
     an account opens it, gives the passphrase, acknowledges, approves, uploads and delivers.
Every page the story visits is checked with axe-core in English and in Japanese (no serious or critical violation)
and saved as a screenshot under .build/test-artifacts/console/. Bounded: the whole run takes about a minute.
"""
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from suite import DemoService, fail, ok   # scripts/suite.py

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/logatlas")
ARTIFACTS = os.path.abspath(".build/test-artifacts/console")
CHECKED = []


class Browser:
    def __init__(self, service, downloads, script=True):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-GB"]:
            options.add_argument(argument)
        prefs = {"download.default_directory": downloads, "download.prompt_for_download": False, "intl.accept_languages": "en-GB,en"}
        if not script:
            prefs["profile.managed_default_content_settings.javascript"] = 2   # the pages must work without their script
        options.add_experimental_option("prefs", prefs)
        self.driver = webdriver.Chrome(service=ChromeService(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.service = service
        self.wait = WebDriverWait(self.driver, 20)

    def open(self, path):
        self.driver.get(self.service.url + path)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    def click(self, css):
        element = self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        element.click()

    def sign_in(self, user):
        self.open("/login")
        self.driver.find_element(By.ID, "username").send_keys(user.lower().replace("_", "-"))
        self.driver.find_element(By.ID, "password").send_keys(self.service.passwords[user])
        self.click("#sign-in")
        self.wait.until(EC.url_to_be(self.service.url + "/"))

    def sign_out(self):
        self.click("form[action='/logout'] button:not([name])")
        self.wait.until(EC.url_contains("/login"))

    def check(self, name):
        """axe-core on the page in both languages (switching with the page's own control), and a screenshot of each."""
        for language in ["en", "ja"]:
            current = self.driver.execute_script("return document.documentElement.lang")
            if current != language:
                self.driver.find_element(By.CSS_SELECTOR, "form[action='/console/language'] button").click()
                self.wait.until(lambda d: d.execute_script("return document.readyState === 'complete' && document.documentElement.lang") == language)
            axe = Axe(self.driver)
            axe.inject()
            results = axe.run()
            bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
            if bad:
                fail(f"axe on {name} ({language}): " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                                                               f"{[n['target'] for n in v['nodes']][:3]}" for v in bad))
            self.driver.execute_script("window.scrollTo(0, 0)")
            self.driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}-{language}.png"))
            CHECKED.append(f"{name}-{language}")
        # Back to English for the story.
        if self.driver.execute_script("return document.documentElement.lang") != "en":
            self.driver.find_element(By.CSS_SELECTOR, "form[action='/console/language'] button").click()
            self.wait.until(lambda d: d.execute_script("return document.readyState === 'complete' && document.documentElement.lang") == "en")

    def check_current(self, name):
        """axe-core and a screenshot of the page as it is (a page that a reload would lose, such as a preview)."""
        axe = Axe(self.driver)
        axe.inject()
        bad = [v for v in axe.run()["violations"] if v.get("impact") in ("serious", "critical")]
        if bad:
            fail(f"axe on {name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']}" for v in bad))
        self.driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}-en.png"))
        CHECKED.append(f"{name}-en")

    def axe_finds(self, markup):
        """Whether axe reports a serious or critical violation once `markup` is added to the page (a check of the check)."""
        self.driver.execute_script("document.querySelector('main').insertAdjacentHTML('beforeend', arguments[0])", markup)
        axe = Axe(self.driver)
        axe.inject()
        return any(v.get("impact") in ("serious", "critical") for v in axe.run()["violations"])

    def item_form(self, action):
        return f"form[action$='/{action}'] button[data-action='{action}']"

    def fill_note(self, action, text):
        field = self.driver.find_element(By.CSS_SELECTOR, f"form[action$='/{action}'] textarea[name='note']")
        field.send_keys(text)

    def act(self, action, then, note=None):
        """Fires an item's action (with its note when it needs one) and waits for the panel to show `then`."""
        if note:
            self.fill_note(action, note)
        self.click(self.item_form(action))
        self.wait.until(lambda d: self.state() == then)

    def upload(self, path):
        """Uploads a file through the page's script and returns the SHA-256 the page shows once it is stored."""
        self.driver.find_element(By.CSS_SELECTOR, "form[data-upload] input[type=file]").send_keys(path)
        self.click("form[data-upload] button[type=submit]")
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "form[data-upload] output code.sha256"))).text

    def state(self):
        # Read by script: the page may be navigating, and an element found before it is gone after.
        return self.driver.execute_script("const e = document.querySelector('section.item [data-state]'); return e && e.textContent")


def story(service, folder):
    downloads = os.path.join(folder, "downloads")
    os.makedirs(downloads)
    browser = Browser(service, downloads)
    try:
        # The sign-in page, before anyone signs in.
        browser.open("/login")
        browser.check("login")
        if not browser.axe_finds('<input type="text"><a href="/x"></a>'):
            fail("axe reported nothing for an unlabelled input and an empty link: the check is not running")
        ok("axe reports an unlabelled input added to the page")

        # 1. The CSIRT lead composes the request on the desk, previews it and files it.
        browser.sign_in("CSIRT_LEAD")
        browser.click("#new-request")
        browser.check("desk")
        browser.driver.find_element(By.ID, "filter-q").send_keys("perimeter")
        browser.click("#search")
        browser.wait.until(lambda d: "perimeter-firewall" in browser.text() and "vpn-gateway" not in browser.text())
        browser.click("#source-choices input[type=checkbox]")
        browser.driver.find_element(By.ID, "incident").send_keys("INC-BROWSER-0007")
        browser.driver.find_element(By.CSS_SELECTOR, "#priority option[value='critical']").click()
        browser.driver.find_element(By.ID, "purpose").send_keys("Ransomware note found on a file server")
        browser.driver.find_element(By.ID, "hosts").send_keys("fs-02")
        browser.click("#preview-button")
        browser.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#preview .timeline .segment")))
        if "corp-it" not in browser.driver.find_element(By.ID, "preview-items").text:
            fail("the preview does not say that corporate IT will be asked")
        browser.check_current("desk-preview")
        browser.click("#file-button")
        browser.wait.until(lambda d: re.search(r"/requests/[0-9a-f-]{36}$", d.current_url))
        request_path = "/requests/" + browser.driver.current_url.rsplit("/", 1)[1]
        if "INC-BROWSER-0007" not in browser.text() or "fs-02" not in browser.text():
            fail("the filed request's page does not show what was composed")
        ok(f"csirt-lead composed, previewed and filed {request_path}")
        browser.sign_out()

        # 2. IT finds it in the inbox, acknowledges and asks a question.
        browser.sign_in("IT_OPS")
        if "INC-BROWSER-0007" not in browser.text():
            fail("the new request is not in IT's inbox")
        browser.check("home-custodian")
        browser.click(f"a[href='{request_path}']")
        browser.check("request-custodian")
        browser.act("acknowledge", "acknowledged")
        browser.act("ask_info", "needs information", note="Which hours matter most? The firewall keeps 7 days searchable.")
        ok("it-ops acknowledged and asked a question")
        browser.sign_out()

        # 3. The CSIRT lead answers.
        browser.sign_in("CSIRT_LEAD")
        if "INC-BROWSER-0007" not in browser.text():
            fail("the request is not among the team's open requests")
        browser.check("home-csirt")
        browser.open(request_path)
        browser.check("request-csirt")
        browser.click("a[href='/readiness']")
        browser.wait.until(EC.presence_of_element_located((By.ID, "heatmap")))
        browser.check("readiness")
        browser.driver.execute_script("document.querySelector('#heatmap a').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
        browser.wait.until(EC.presence_of_element_located((By.ID, "cell")))
        browser.check_current("readiness-cell")
        ok("csirt-lead opened the readiness heat map and a cell's findings")
        before = len(browser.driver.find_elements(By.CSS_SELECTOR, "#trend .trend-dot"))
        browser.click("#record")
        browser.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#trend .trend-dot")) > before)
        browser.check("readiness-trend")
        ok("csirt-lead recorded the current report: a point on each policy's trend line")
        rules = []
        for name, text in [("proxy_ua.yml", "title: Odd user agent\nid: b-proxy\nlogsource: {category: proxy}\ndetection: {condition: x}\nlevel: high\n"),
                           ("win_logon.yml", "title: Odd logon\nid: b-logon\nlogsource: {product: windows, service: security}\ndetection: {condition: x}\nlevel: critical\n"),
                           ("broken.yml", "title: Broken\nlogsource: {category: proxy}\ndetection: {condition: x}\nlevel: severe\n")]:
            rules.append(os.path.join(folder, name))
            with open(rules[-1], "w") as f:
                f.write(text)
        browser.driver.find_element(By.ID, "sigma-files").send_keys("\n".join(rules))
        browser.click("#sigma-check")
        browser.wait.until(EC.presence_of_element_located((By.ID, "sigma-report")))
        verdicts = {row.find_element(By.TAG_NAME, "code").text: row.get_attribute("class")
                    for row in browser.driver.find_elements(By.CSS_SELECTOR, "#sigma-rules tbody tr")}
        if verdicts.get("b-proxy") != "runnable" or "b-logon" not in verdicts or "broken.yml:4:8" not in browser.text():
            fail(f"the Sigma rules were not judged as expected: {verdicts}")
        browser.check_current("readiness-sigma")
        ok(f"csirt-lead checked three Sigma rule files on the readiness page: {verdicts}")
        browser.open(request_path)
        browser.act("answer", "acknowledged", note="The last 24 hours first, please.")
        ok("csirt-lead answered")
        browser.sign_out()

        # 4. IT approves, uploads with the progress bar and delivers.
        browser.sign_in("IT_OPS")
        browser.open(request_path)
        browser.act("approve", "approved")
        evidence = os.path.join(folder, "perimeter-firewall.log")
        with open(evidence, "wb") as f:
            for index in range(60_000):
                f.write(f"2026-12-02T10:{index % 60:02d}:00Z fw01 deny tcp 203.0.113.7:{1024 + index % 6000} -> 10.0.0.5:445\n".encode())
        expected = hashlib.sha256(open(evidence, "rb").read()).hexdigest()
        shown = browser.upload(evidence)
        progress = browser.driver.find_element(By.CSS_SELECTOR, "form[data-upload] progress").get_attribute("value")
        if shown != expected or progress != "100":
            fail(f"upload showed sha256 {shown} (expected {expected}), progress {progress}")
        browser.driver.save_screenshot(os.path.join(ARTIFACTS, "request-custodian-uploaded-en.png"))
        browser.click("form[data-upload] a.reload")
        browser.check("request-custodian-with-evidence")
        browser.act("deliver", "delivered")
        ok(f"it-ops uploaded {os.path.getsize(evidence):,} bytes (sha256 {expected[:12]}… shown) and delivered")
        browser.sign_out()

        # 5. The CSIRT lead downloads (same SHA-256) and receives with an outcome.
        browser.sign_in("CSIRT_LEAD")
        browser.open(request_path)
        browser.click("#artifacts a[download]")
        target = os.path.join(downloads, "perimeter-firewall.log")
        deadline = time.time() + 30
        while not os.path.exists(target) and time.time() < deadline:
            time.sleep(0.2)
        if not os.path.exists(target):
            fail(f"the download did not arrive: {os.listdir(downloads)}")
        got = hashlib.sha256(open(target, "rb").read()).hexdigest()
        if got != expected:
            fail(f"downloaded sha256 {got}, uploaded {expected}")
        browser.act("receive", "received", note="Confirmed: SMB scanning from 203.0.113.7 before the encryption.")
        browser.check("request-csirt-received")
        browser.click("a[href='/friction']")
        browser.wait.until(EC.presence_of_element_located((By.ID, "friction-orgs")))
        browser.check("friction")
        ok("csirt-lead downloaded the same bytes and received the item")
        browser.sign_out()

        # 6. IT sees the outcome, then looks after its inventory: a source's tiers against the requirements, and an edit.
        browser.sign_in("IT_OPS")
        browser.open(request_path)
        if "SMB scanning" not in browser.text():
            fail("the custodian does not see the outcome")
        ok("it-ops sees the outcome")
        browser.click("a[href='/inventory']")
        browser.wait.until(EC.presence_of_element_located((By.ID, "sources")))
        browser.check("inventory")
        browser.click("#sources a[href^='/sources/']")
        browser.wait.until(EC.presence_of_element_located((By.ID, "tiers")))
        browser.check("source")
        notes = browser.driver.find_element(By.ID, "notes")
        notes.clear()
        notes.send_keys("Checked in the browser suite")
        days = browser.driver.find_element(By.NAME, "tiers[t0][days]")
        longer = str(int(days.get_attribute("value")) + 30)
        days.clear()
        days.send_keys(longer)
        browser.click("#save")
        # Read by script: the page is navigating (post, redirect, new page), and an element found before it is gone after.
        browser.wait.until(lambda d: "Checked in the browser suite" in (d.execute_script(
            "const e = document.getElementById('notes'); return e ? e.value : ''") or ""))
        if browser.driver.find_element(By.NAME, "tiers[t0][days]").get_attribute("value") != longer or f" {longer} " not in browser.text():
            fail(f"the first tier was not saved as {longer} days")
        ok(f"it-ops opened its inventory and a source's tiers, and saved an edit (notes, first tier now {longer} days)")
        browser.sign_out()

        # The guest-link story: the vendor's SOC makes a link (with a passphrase) for its item of the demo request; an
        # engineer without an account opens it in a fresh browser session, gives the passphrase and answers the item.
        browser.sign_in("NETCARE_SOC")
        browser.click("#inbox a[href^='/requests/']")
        browser.driver.find_element(By.CSS_SELECTOR, "details.guest-links summary").click()
        browser.driver.find_element(By.CSS_SELECTOR, "details.guest-links input[name='passphrase']").send_keys("blue harbour lantern")
        browser.click("button[data-action='guest-link']")
        address = browser.wait.until(EC.visibility_of_element_located((By.ID, "guest-link"))).text
        if "/guest/la_" not in address:
            fail(f"no guest link shown: {address!r}")
        browser.sign_out()
        browser.driver.delete_all_cookies()
        guest_path = address[address.index("/guest/"):]
        browser.open(guest_path)
        browser.check("guest-unlock")
        browser.driver.find_element(By.ID, "passphrase").send_keys("blue harbour lantern")
        browser.click("#unlock")
        browser.wait.until(EC.presence_of_element_located((By.ID, "guest-notice")))
        if "INC-DEMO-0001" not in browser.text() or "Sign out" in browser.driver.page_source:
            fail("the guest page does not show the request, or shows the console's navigation")
        browser.check("guest")
        browser.act("acknowledge", "acknowledged")
        browser.act("approve", "approved")
        # The same page in a browser with JavaScript off: the upload form posts the file itself.
        plain = Browser(service, downloads, script=False)
        try:
            plain.open(guest_path)
            plain.driver.find_element(By.ID, "passphrase").send_keys("blue harbour lantern")
            plain.click("#unlock")
            plain.wait.until(EC.presence_of_element_located((By.ID, "guest-notice")))
            plain.driver.find_element(By.CSS_SELECTOR, "form.upload input[type=file]").send_keys(evidence)
            plain.click("form.upload button[type=submit]")
            # With the script the page would stay put (it sends the file itself); the form's own post lands here.
            plain.wait.until(EC.url_contains("#artifacts"))
            if expected not in plain.driver.find_element(By.ID, "artifacts").text:
                fail("the upload without JavaScript does not show the file's SHA-256 on the page")
        finally:
            plain.driver.quit()
        ok("the guest uploaded the same file with JavaScript off (the form's post), and the page lists its SHA-256")
        browser.open(guest_path)
        shown = browser.upload(evidence)
        if shown != expected:
            fail(f"guest upload showed {shown}, expected {expected}")
        browser.click("form[data-upload] a.reload")
        browser.act("deliver", "delivered")
        ok("a guest with the link and passphrase acknowledged, approved, uploaded and delivered the vendor's item")
        browser.sign_in("CSIRT_LEAD")
        browser.open("/")
        browser.click("#requests a[href^='/requests/']:not([href='" + request_path + "'])")
        if "guest-link:" not in browser.text():
            fail("the request's history does not name the guest link as the actor")
        ok("the CSIRT sees the guest link as the actor in the history")
        browser.sign_out()

        # The other roles' home pages.
        for user in ["AUDITOR", "ADMIN"]:
            browser.sign_in(user)
            browser.check(f"home-{user.lower()}")
            browser.sign_out()
    finally:
        browser.driver.quit()


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="la-console-")
    started = time.time()
    service = DemoService(BINARY, folder)
    try:
        story(service, folder)
    finally:
        service.stop()
    ok(f"axe: no serious or critical violation on {len(CHECKED)} pages ({', '.join(CHECKED)})")
    ok(f"browser story passed in {time.time() - started:.1f} s; screenshots in {ARTIFACTS}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
