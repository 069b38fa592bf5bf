"""The fault catalogue shared by the module-level and playbook-level fault matrices."""

import re
import threading
import time

HTML_PROXY_502 = ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center>"
                  "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
HTML_PROXY_LOGIN = ("<!DOCTYPE html><html><head><title>Proxy authentication</title></head><body>"
                    "<form action='/login'>Sign in to continue to the internet</form></body></html>")
MALFORMED_JSON = '{"entities": [{"id": "x", "name": '


class Fault(object):
    """One row of the matrix.

    ``rule``: emulator fault rule fields (without method/path/org, which the target adds).
    ``kind``: transient (must succeed, same end state, one warning per firing) or permanent (must fail
    cleanly; ``cause`` is a regex the failure message must match).
    ``timeout``: the module's ``timeout`` option for this row (slow-response rows).
    ``retries``: the module's ``retries`` option for this row.
    """

    def __init__(self, name, rule, kind, cause=None, timeout=None, retries=None, target="primary", special=None):
        self.name = name
        self.rule = rule
        self.kind = kind
        self.cause = re.compile(cause, re.I) if cause else None
        self.timeout = timeout
        self.retries = retries
        self.target = target
        self.special = special

    def __repr__(self):
        return self.name


FAULTS = [
    Fault("429 with Retry-After", dict(status=429, retry_after=1, count=2), "transient"),
    Fault("429 without Retry-After", dict(status=429, count=2), "transient"),
    Fault("502", dict(status=502, count=1), "transient"),
    Fault("503", dict(status=503, count=2), "transient"),
    Fault("504", dict(status=504, count=1), "transient"),
    Fault("connection reset", dict(reset=True, count=2), "transient"),
    Fault("slow response past timeout", dict(delay_ms=2200, count=1), "transient", timeout=1.5),
    Fault("HTML 502 page from a proxy", dict(status=502, content_type="text/html", body=HTML_PROXY_502, count=1),
          "transient"),
    Fault("expired token mid-run", {}, "transient", special="expire"),
    Fault("500", dict(status=500, count=1), "permanent", cause=r"\b500\b|internal.server.error"),
    Fault("malformed JSON body", dict(status=200, body=MALFORMED_JSON, count=1), "permanent",
          cause=r"json|pars|malformed|unexpected|not valid|invalid (response|answer|body)"),
    Fault("HTML page instead of JSON (proxy login)", dict(status=200, content_type="text/html", body=HTML_PROXY_LOGIN,
                                                          count=1), "permanent",
          cause=r"html|json|pars|unexpected|not valid|proxy|invalid (response|answer|body)"),
    Fault("429 storm beyond retries", dict(status=429, retry_after=1), "permanent", retries=1,
          cause=r"\b429\b|rate.limit|too.many"),
    Fault("503 beyond retries", dict(status=503), "permanent", retries=1, cause=r"\b503\b|unavailable"),
]

WRITE_FAULTS = [
    Fault("404 right after a write", dict(not_found_after_write_ms=1500), "transient", target="read"),
    Fault("503 on the write", dict(status=503, count=2), "transient", target="write"),
    Fault("connection reset on the write", dict(reset=True, count=1), "transient", target="write"),
    Fault("slow write past timeout", dict(delay_ms=2200, count=1), "transient", timeout=1.5, target="write"),
    Fault("500 on the write", dict(status=500, count=1), "permanent", target="write",
          cause=r"\b500\b|internal.server.error"),
    Fault("403 on the write", dict(status=403, body={"message": "You are missing the following permission(s): "
                                                                "sso:provider:edit", "code": "missing.any.permissions",
                                                     "status": 403, "details": [], "errors": []}, count=1),
          "permanent", target="write", cause=r"403|permission"),
]


def is_retry_warning(text):
    return bool(re.search(r"retry|re-?auth|new token|401", text, re.I))


class ExpireWhenFired(object):
    """Expire every token of ``org`` while the request matched by a delay rule is held by the emulator.

    The emulator authenticates a request before it applies the fault delay, so the held request still
    succeeds and the *next* request of the module meets an expired token (HTTP 401) — a token expiring
    in the middle of a run.  Bounded: the watcher gives up after ``limit`` seconds.
    """

    def __init__(self, emu, org, method, path, delay_ms=900, limit=900):
        self.emu = emu
        self.org = org
        self.rule = emu.add_fault(org=org, method=method, path=path, delay_ms=delay_ms, count=1)
        self.expired = 0
        self.error = None
        self._stop = threading.Event()
        self._limit = limit
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        import requests  # its own session: the test thread uses the emulator's

        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
        session.verify = self.emu.ca_path
        base = self.emu.url + "/_emulator/"
        deadline = time.monotonic() + self._limit
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                fired = [f for f in session.get(base + "faults", timeout=30).json() if f["id"] == self.rule["id"]]
                if fired and fired[0].get("fired"):
                    time.sleep(0.1)
                    resp = session.post(base + "tokens/expire", json={"org": self.org}, timeout=30)
                    self.expired = resp.json().get("expired", 0)
                    return
                time.sleep(0.05)
        except Exception as exc:  # reported by the test through .error
            self.error = repr(exc)
        finally:
            session.close()

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def fired_count(emu, rule_ids):
    return sum(f.get("fired", 0) for f in emu.faults() if f["id"] in rule_ids)


def drain(emu, rule_ids, limit=15.0):
    """Wait until every request a fault rule held (delay) has finished, so it cannot land in the next test."""
    if not rule_ids:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        fired = fired_count(emu, rule_ids)
        logged = sum(1 for r in emu.requests() if r.get("fault") in rule_ids)
        if logged >= fired:
            return
        time.sleep(0.1)
