"""What the Python test suites (reliability.py, console_browser.py) share: how they report and find a free port."""
import socket


def fail(message):
    print(f"FAIL {message}", flush=True)
    raise SystemExit(1)


def ok(message):
    print(f"ok   {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
