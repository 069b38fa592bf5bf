"""Secret scanner for the test suites: record every secret a test uses, scan everything a run leaves.

Use it from any pytest suite (reliability, e2e, integration drivers):

* fixture ``secret_scan`` (function scope): ``secret_scan.add(value, label)`` for each client secret,
  password or access token the test uses (``add_client(client_id, secret)`` also registers the HTTP
  Basic form ``base64(id:secret)``); ``secret_scan.scan_text(text, where)`` / ``scan_path(path)`` for
  stdout, log files, ansible-runner artifacts, backups, request-log dumps.  At teardown the fixture
  fails the test if any scan found a secret.  Token *formats* can be registered too
  (``add_pattern(regex, label)``) to catch tokens a test never saw (minted inside ansible-playbook), and
  ``add_credential_patterns()`` flags any unmasked ``Authorization:`` value or Bearer/Basic credential.
* every secret is scanned for in each form it can leak in: raw, URL-encoded (``quote`` with and without
  ``/`` kept, ``quote_plus``), JSON-escaped (once and twice, ASCII or not), base64 (padded or not) and, for a
  client pair, the HTTP Basic credential ``base64(id:secret)`` (padded or not, also URL-encoded).
* other suites: ``from secret_scan import secret_scan  # noqa: F401`` in their conftest after putting
  ``tests/reliability`` on ``sys.path`` (see ``tests/reliability/README.md``).
* CLI, for artifacts of runs pytest does not drive (``ansible-test integration`` output):
  ``python tests/reliability/secret_scan.py --secret VALUE ... --seed SEED.yml PATH...`` exits 1 on a hit.

Totals (secrets known, files and bytes scanned, hits) are kept in ``TOTALS`` for the report.
"""

import argparse
import base64
import json
import os
import re
import sys
import urllib.parse

import pytest

MIN_SECRET_LEN = 8

TOTALS = {"secrets": 0, "patterns": 0, "texts": 0, "files": 0, "bytes": 0, "hits": 0}


def encoded_forms(value):
    """The forms a secret can leak in: raw, URL-encoded, JSON-escaped (once, twice), base64."""
    escaped = [json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]]
    b64 = base64.b64encode(value.encode()).decode()
    forms = [value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value), urllib.parse.quote_plus(value),
             b64, b64.rstrip("=")] + escaped + [json.dumps(e)[1:-1] for e in escaped]
    return [f for f in forms if len(f) >= MIN_SECRET_LEN]


# a credential after Bearer/Basic (also URL-encoded) or an Authorization value that is not masked (********)
CREDENTIAL_PATTERNS = [
    (r"(?i)\b(?:bearer|basic)(?:\s+|%20|\+)(?=[A-Za-z0-9._~+/=-]*[0-9+/=._~-])[A-Za-z0-9._~+/=-]{12,}",
     "Bearer/Basic credential"),
    (r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)?\s*(?![*\s\"'])[A-Za-z0-9._~+/=-]{8,}",
     "Authorization header value"),
]


class SecretHit(object):
    def __init__(self, label, where, offset, context):
        self.label = label
        self.where = where
        self.offset = offset
        self.context = context

    def __repr__(self):
        return "SecretHit(%s in %s at %d: ...%s...)" % (self.label, self.where, self.offset, self.context)


def _mask_context(text, start, end, width=30):
    before = text[max(0, start - width):start]
    after = text[end:end + width]
    return (before + "<SECRET>" + after).replace("\n", "\\n")


class SecretScanner(object):
    """The set of secrets in use and the scans made for them."""

    def __init__(self):
        self.secrets = {}          # literal form -> label
        self.patterns = []         # (compiled regex, label)
        self.hits = []
        self.scanned = []          # names of what was scanned (to prove a scan happened)

    # -- registering ---------------------------------------------------------------------------------
    def add(self, value, label="secret"):
        """Register a secret and the encodings it could leak in (URL-, JSON- and base64-encoded)."""
        if value is None:
            return
        value = str(value)
        if len(value) < MIN_SECRET_LEN:
            raise ValueError("test secret %r (%s) is too short to scan for without false hits; use >= %d chars"
                             % (label, label, MIN_SECRET_LEN))
        if value not in self.secrets:
            TOTALS["secrets"] += 1
        forms = set(encoded_forms(value))
        for form in forms:
            if len(form) >= MIN_SECRET_LEN:
                self.secrets.setdefault(form, label)

    def add_client(self, client_id, secret, label=None):
        """A client-credentials pair: the secret plus the HTTP Basic credential the grant sends."""
        label = label or "client secret of %s" % client_id
        self.add(secret, label)
        basic = base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()
        for form in (basic, basic.rstrip("="), urllib.parse.quote(basic, safe=""), urllib.parse.quote_plus(basic)):
            self.secrets.setdefault(form, label + " (Basic header)")

    def add_pattern(self, regex, label):
        self.patterns.append((re.compile(regex), label))
        TOTALS["patterns"] += 1

    def add_credential_patterns(self):
        """Flag credentials the test never saw: an unmasked Authorization value, a Bearer/Basic credential."""
        for regex, label in CREDENTIAL_PATTERNS:
            self.add_pattern(regex, label)

    def extend(self, other):
        self.secrets.update(other.secrets)
        self.patterns.extend(other.patterns)

    # -- scanning ------------------------------------------------------------------------------------
    def scan_text(self, text, where):
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if not isinstance(text, str):
            text = json.dumps(text, default=str)
        TOTALS["texts"] += 1
        TOTALS["bytes"] += len(text)
        self.scanned.append(where)
        found = []
        for form, label in self.secrets.items():
            start = text.find(form)
            if start >= 0:
                found.append(SecretHit(label, where, start, _mask_context(text, start, start + len(form))))
        for regex, label in self.patterns:
            match = regex.search(text)
            if match:
                found.append(SecretHit(label, where, match.start(), _mask_context(text, match.start(), match.end())))
        TOTALS["hits"] += len(found)
        self.hits.extend(found)
        return found

    def scan_path(self, path, where=None):
        """Scan a file, or every file under a directory. Returns the hits."""
        found = []
        if os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                for name in sorted(files):
                    found.extend(self.scan_path(os.path.join(root, name)))
            return found
        if not os.path.exists(path):
            return found
        with open(path, "rb") as handle:
            data = handle.read()
        TOTALS["files"] += 1
        return self.scan_text(data, where or path)

    def assert_clean(self):
        if self.hits:
            raise AssertionError("secret(s) leaked:\n" + "\n".join(repr(h) for h in self.hits))


def secrets_from_seed(seed, scanner):
    """Register every client secret and user password a seed file (parsed dict) declares."""
    for org in seed.get("orgs", []) or []:
        for client in org.get("clients", []) or []:
            if client.get("secret"):
                scanner.add_client(client["id"], client["secret"])
        for user in org.get("users", []) or []:
            if user.get("password"):
                scanner.add(user["password"], "password of %s" % user.get("email"))
    gen = seed.get("generate") or {}
    if gen.get("count"):
        prefix = gen.get("prefix", "org")
        for i in range(1, int(gen["count"]) + 1):
            name = "%s-%04d" % (prefix, i)
            scanner.add_client("%s-admin" % name, "%s-secret" % name)
    return scanner


@pytest.fixture
def secret_scan():
    """A fresh scanner; the test fails at teardown when any scan it made found a secret."""
    scanner = SecretScanner()
    yield scanner
    scanner.assert_clean()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fail (exit 1) when a known secret appears in files.")
    parser.add_argument("--secret", action="append", default=[], help="a secret value (repeatable)")
    parser.add_argument("--seed", action="append", default=[], help="an emulator seed file: all its secrets")
    parser.add_argument("--pattern", action="append", default=[], help="a regex of a token format (repeatable)")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    scanner = SecretScanner()
    for value in args.secret:
        scanner.add(value, "--secret")
    for seed_path in args.seed:
        import yaml
        with open(seed_path) as handle:
            secrets_from_seed(yaml.safe_load(handle), scanner)
    for regex in args.pattern:
        scanner.add_pattern(regex, "pattern %s" % regex)
    for path in args.paths:
        scanner.scan_path(path)
    for hit in scanner.hits:
        print(repr(hit))
    print("secret scan: %d secret forms, %d files, %d bytes, %d hits"
          % (len(scanner.secrets), TOTALS["files"], TOTALS["bytes"], len(scanner.hits)))
    return 1 if scanner.hits else 0


if __name__ == "__main__":
    sys.exit(main())
