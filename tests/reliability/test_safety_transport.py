"""Transport safety (issue 13 B6, B7, C10, C11), with real listeners and real ansible-playbook runs:

* B7: a login or API host answering with a redirect (307 to http://, 302 elsewhere) is refused: the redirect
  target never receives the password-grant username/password, the Basic credential or the token;
* B6: the task's ``environment:`` keyword is honoured on the controller path: with the shell pointing at org A
  and the task's ``environment:`` at org B, nothing is ever written to org A (the write lands on org B when the
  shell does not set the variable, and the run fails naming both sources when they disagree);
* C11: a login/API host whose error answers echo the request (``Authorization: Bearer <the token the module
  minted>``, the URL-encoded password form, the Basic header, JSON-escaped headers) leaks nothing into the
  ansible-runner job events, stdout or artifacts at default verbosity, on both execution paths;
* C10: a pasted private key never reaches a job event (result or invocation).

The listeners are served from daemon threads of the test process on 127.0.0.1 only, with a CA of their own;
every socket has a timeout and every server is shut down by the test (and by a lifetime timer)."""

import base64
import http.server
import json
import os
import secrets
import socketserver
import ssl
import threading
import urllib.parse

import pytest

from conftest import connection, make_cert, run_core, run_playbook
from secret_scan import SecretScanner
from tls_proxy import make_ca_and_server

ORG_A = "rel-aux"
ORG_B = "rel-cm"
CLIENT_ID = "echo-admin-client"
CLIENT_SECRET = "echo-client-secret/+&=Zq9"
USERNAME = "ann@echo.example"
PASSWORD = "p@ss word/+&=%Echo7"


# ---------------------------------------------------------------------------------------------------
# loopback listeners
# ---------------------------------------------------------------------------------------------------
class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    timeout = 5


class Listener(object):
    """An HTTP(S) server on 127.0.0.1:0 calling ``handler(request) -> (status, headers, body)``; records requests."""

    def __init__(self, handler, tls_dir=None, lifetime=300):
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1 << 20)) if length else b""
                req = dict(method=self.command, path=self.path, headers=dict(self.headers.items()),
                           body=body.decode("utf-8", errors="replace"))
                owner.requests.append(req)
                status, headers, out = handler(req)
                out = out.encode("utf-8") if isinstance(out, str) else (out or b"")
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        self.ca_path = None
        if tls_dir is not None:
            paths = make_ca_and_server(tls_dir, ip_addresses=("127.0.0.1",))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(paths["cert"], paths["key"])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
            self.ca_path = paths["ca"]
        self.port = self.server.server_address[1]
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs=dict(poll_interval=0.2), daemon=True)
        self._thread.start()
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    def stop(self):
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listeners(tmp_path):
    made = []

    def make(handler, tls=True):
        tls_dir = None
        if tls:
            tls_dir = str(tmp_path / ("tls%d" % len(made)))
            os.makedirs(tls_dir, exist_ok=True)
        listener = Listener(handler, tls_dir=tls_dir)
        made.append(listener)
        return listener
    yield make
    for listener in made:
        listener.stop()


def _token_answer(token):
    return 200, {"Content-Type": "application/json"}, json.dumps(
        dict(access_token=token, token_type="bearer", expires_in=86400))


# ---------------------------------------------------------------------------------------------------
# B7: redirects are refused, the target receives nothing
# ---------------------------------------------------------------------------------------------------
def test_a_307_to_http_never_receives_the_password_grant(listeners, tmp_path):
    sink = listeners(lambda req: _token_answer("sink-token-should-never-be-used-1"), tls=False)
    login = listeners(lambda req: (307, {"Location": sink.url + "/oauth/token?from=redirect"}, ""))
    args = dict(api_url=login.url, login_url=login.url, ca_path=login.ca_path, client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET, grant_type="password", username=USERNAME, password=PASSWORD,
                retries=0, timeout=5)
    res = run_core("genesys_token", args)
    assert res.failed and res["code"] == "redirect.refused", res
    assert "HTTP 307" in res["msg"] and "http://127.0.0.1:%d" % sink.port in res["msg"]
    assert "does not redirect" in res["msg"] and "from=redirect" not in res["msg"]
    assert len(login.requests) == 1 and login.requests[0]["path"] == "/oauth/token"
    assert sink.requests == []  # never followed: no username, password, Basic credential in clear text
    scanner = SecretScanner()
    scanner.add_client(CLIENT_ID, CLIENT_SECRET)
    scanner.add(PASSWORD, "password")
    assert scanner.scan_text(json.dumps(res), "result") == []


def test_a_redirect_of_an_api_call_never_receives_the_token(listeners):
    token = "api-token-%s" % secrets.token_urlsafe(16)
    sink = listeners(lambda req: (200, {"Content-Type": "application/json"}, "{}"), tls=False)

    def api(req):
        if req["path"] == "/oauth/token":
            return _token_answer(token)
        return 302, {"Location": sink.url + req["path"] + "?copy=1"}, ""
    host = listeners(api)
    args = dict(api_url=host.url, login_url=host.url, ca_path=host.ca_path, client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET, retries=2, timeout=5)
    res = run_core("genesys_identity_provider_info", args)
    assert res.failed and res.get("code") == "redirect.refused", res
    assert "HTTP 302" in res["msg"] and sink.url in res["msg"]
    assert [r["path"] for r in host.requests] == ["/oauth/token", host.requests[1]["path"]]  # not retried
    assert sink.requests == [] and token not in json.dumps(res)


# ---------------------------------------------------------------------------------------------------
# B6: the task's environment: keyword on the controller path (real ansible-playbook, emulator)
# ---------------------------------------------------------------------------------------------------
ENV_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Configure a provider with the connection from the environment
      genesyscloud.sso.genesys_identity_provider:
        type: generic
        name: Env IdP
        issuer_uri: https://idp.env.example/entity
        sso_target_uri: https://idp.env.example/sso
        certificates: ["{{ cert }}"]
      environment: "{{ task_env }}"
"""


def _scan_run(run, scanner):
    """Everything the run left, except runner's ``command`` artifact: it records the environment this test itself
    gave the runner (the shell environment of the scenario, secrets included), not an output of the run."""
    scanner.scan_text(run.stdout, "stdout")
    scanner.scan_text(run.log, "ANSIBLE_LOG_PATH")
    scanner.scan_text(json.dumps(run.events, default=str), "runner events")
    for root, _dirs, files in os.walk(run.artifact_dir):
        for name in files:
            if name != "command":
                scanner.scan_path(os.path.join(root, name))


def _org_env(emu, org):
    conn = connection(emu, org)
    return dict(GENESYSCLOUD_OAUTHCLIENT_ID=conn["client_id"], GENESYSCLOUD_OAUTHCLIENT_SECRET=conn["client_secret"])


@pytest.mark.parametrize("execution", ["controller", "module"])
def test_task_environment_decides_the_org_never_the_shell(emu, tmp_path, execution, secret_scan):
    cert, _key = make_cert("env.idp.example")
    playbook = tmp_path / "env.yml"
    playbook.write_text(ENV_PLAYBOOK)
    shared = dict(GENESYSCLOUD_API_URL=emu.url, GENESYSCLOUD_LOGIN_URL=emu.url, GENESYSCLOUD_CA_PATH=emu.ca_path)
    for org in (ORG_A, ORG_B):
        conn = connection(emu, org)
        secret_scan.add_client(conn["client_id"], conn["client_secret"])

    # 1. the shell points at org A, the task's environment: at org B: the sources disagree -> fail naming both
    shell = dict(shared, **_org_env(emu, ORG_A))
    run = run_playbook(str(playbook), {"h1": {}}, extravars=dict(cert=cert, task_env=_org_env(emu, ORG_B),
                                                                  genesyscloud_sso_execution=execution),
                       env=shell, workdir=str(tmp_path / "conflict"))
    assert emu.writes(org=ORG_A) == [], "the shell's org A was written to"  # the safety property, first
    assert run.rc != 0
    results = run.task_results(host="h1")
    msg = results[-1][4].get("msg", "")
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in msg and "GENESYSCLOUD_OAUTHCLIENT_SECRET" in msg, msg
    assert "task's environment: keyword" in msg and "controller's own environment" in msg
    assert emu.writes(org=ORG_A) == [] and emu.writes(org=ORG_B) == []
    assert [r for r in emu.requests() if r["path"] == "/oauth/token"] == []  # refused before any request
    _scan_run(run, secret_scan)

    # 2. the shell has only the API host, the task's environment: org B's credentials: the write lands on org B
    run = run_playbook(str(playbook), {"h1": {}}, extravars=dict(cert=cert, task_env=_org_env(emu, ORG_B),
                                                                  genesyscloud_sso_execution=execution),
                       env=shared, workdir=str(tmp_path / "honoured"))
    assert emu.writes(org=ORG_A) == [], "the shell's org A was written to"
    assert run.rc == 0, run.stdout[-3000:]
    assert emu.writes(org=ORG_B), emu.requests()
    _scan_run(run, secret_scan)


# ---------------------------------------------------------------------------------------------------
# C10 + C11: echoing hosts, ansible-runner job events at default verbosity
# ---------------------------------------------------------------------------------------------------
ECHO_PLAYBOOK = """
- hosts: all
  gather_facts: false
  module_defaults:
    group/genesyscloud.sso.genesys:
      api_url: "{{ echo_url }}"
      login_url: "{{ echo_url }}"
      ca_path: "{{ echo_ca }}"
      retries: 0
      timeout: 10
  tasks:
    - name: Check a client whose token info answer echoes the Authorization header
      genesyscloud.sso.genesys_oauth_check:
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
      ignore_errors: true
    - name: Read providers from an API that echoes the request headers as JSON
      genesyscloud.sso.genesys_identity_provider_info:
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
      ignore_errors: true
    - name: Password grant against a login host that echoes its request form
      genesyscloud.sso.genesys_token:
        grant_type: password
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
        username: "{{ user }}"
        password: "{{ pw }}"
      ignore_errors: true
    - name: Mint a token, then read the org from an API that echoes it
      genesyscloud.sso.genesys_token:
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
        include_organization: true
      ignore_errors: true
    - name: A pasted private key is refused and never shown
      genesyscloud.sso.genesys_identity_provider:
        client_id: "{{ cid }}"
        client_secret: "{{ csecret }}"
        type: generic
        name: Key IdP
        issuer_uri: https://idp.key.example/entity
        sso_target_uri: https://idp.key.example/sso
        certificates: ["{{ cert_and_key }}"]
      ignore_errors: true
"""


def _echo_host(minted):
    basic = "Basic " + base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()

    def handler(req):
        headers = req["headers"]
        auth = headers.get("Authorization", "")
        if req["path"] == "/oauth/token":
            form = urllib.parse.parse_qs(req["body"])
            if form.get("grant_type") == ["password"]:
                # a front end that echoes the whole request: the URL-encoded form and the Basic header
                return 400, {"Content-Type": "text/html"}, (
                    "<html><body>Bad request. You sent: %s with Authorization: %s</body></html>" % (req["body"], auth))
            if auth != basic:
                return 401, {"Content-Type": "application/json"}, json.dumps(dict(error="invalid_client"))
            token = "echo-%s" % secrets.token_urlsafe(24)
            minted.append(token)
            return _token_answer(token)
        bare = auth.split(" ", 1)[-1]
        if req["path"].startswith("/api/v2/tokens/me"):
            return 500, {"Content-Type": "application/json"}, json.dumps(dict(
                code="internal.server.error", status=500,
                message="upstream failed for Authorization: %s (token %s)" % (auth, bare)))
        if req["path"].startswith("/api/v2/identityproviders"):
            return 502, {"Content-Type": "text/plain"}, "gateway error, request headers were %s" % json.dumps(headers)
        if req["path"].startswith("/api/v2/organizations/me"):
            return 503, {"Content-Type": "application/json"}, json.dumps(dict(
                code="service.unavailable", message=json.dumps(dict(seen=headers, token=bare))))
        return 404, {"Content-Type": "application/json"}, json.dumps(dict(code="not.found", message="no"))
    return handler


@pytest.mark.parametrize("execution", ["controller", "module"])
def test_echoed_credentials_never_reach_job_events_at_default_verbosity(listeners, tmp_path, execution, secret_scan,
                                                                        figures):
    minted = []
    host = listeners(_echo_host(minted))
    cert, key = make_cert("key.idp.example")
    playbook = tmp_path / "echo.yml"
    playbook.write_text(ECHO_PLAYBOOK)
    extra = dict(echo_url=host.url, echo_ca=host.ca_path, cid=CLIENT_ID, csecret=CLIENT_SECRET, user=USERNAME,
                 pw=PASSWORD, cert_and_key=cert + key, genesyscloud_sso_execution=execution)
    run = run_playbook(str(playbook), {"h1": {}}, extravars=extra, workdir=str(tmp_path / "run"))
    assert run.rc == 0, run.stdout[-3000:]  # every task failed cleanly (ignore_errors), the play went on
    results = dict((t, (e, res)) for _h, t, _a, e, res in run.task_results(host="h1"))
    assert len(results) == 5 and all(e == "runner_on_failed" for e, _res in results.values()), results.keys()
    # the echoes reached the results (so the scan below proves masking, not silence) ...
    texts = json.dumps([res for _e, res in results.values()])
    assert "upstream failed" in texts and "gateway error" in texts and "Bad request" in texts
    assert "private key" in texts
    assert len(minted) >= 3, minted
    # ... and none of the secrets did, in any form, in events, stdout or artifacts
    secret_scan.add_client(CLIENT_ID, CLIENT_SECRET)
    secret_scan.add(PASSWORD, "password")
    for token in minted:
        secret_scan.add(token, "token minted by the echo host")
    secret_scan.add_credential_patterns()
    secret_scan.add_pattern(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "private key block")
    secret_scan.add(key.split("-----")[2].strip().splitlines()[1], "private key material")
    run.scan_everything(secret_scan)
    figures.count("echo_runs", execution, 1)
    assert secret_scan.hits == [], secret_scan.hits
    # the scanner would see each form (self-test)
    probe = "Authorization: Bearer %s %s %s" % (minted[0], urllib.parse.quote_plus(PASSWORD),
                                                base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode())
    assert len(secret_scan.scan_text(probe, "self-test")) >= 3
    secret_scan.hits = [h for h in secret_scan.hits if h.where != "self-test"]


# ---------------------------------------------------------------------------------------------------
# C11: a given token with a trailing line break (a file lookup, an AWX credential) works and stays masked
# ---------------------------------------------------------------------------------------------------
TOKEN_NL_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Read providers with a token that ends in a line break
      genesyscloud.sso.genesys_identity_provider_info:
        api_url: "{{ emu_url }}"
        login_url: "{{ emu_url }}"
        ca_path: "{{ emu_ca }}"
        access_token: "{{ tok }}"
        retries: 2
"""


@pytest.mark.parametrize("execution", ["controller", "module"])
def test_a_token_ending_in_a_line_break_is_used_stripped_and_never_shown_at_vvv(emu, tmp_path, execution,
                                                                                 secret_scan):
    minted = run_core("genesys_token", connection(emu, ORG_A))
    assert not minted.failed, minted
    token = minted["access_token"]
    secret_scan.add(token, "the given access token")
    secret_scan.add(token + "\n", "the given access token with its line break")
    playbook = tmp_path / "token_nl.yml"
    playbook.write_text(TOKEN_NL_PLAYBOOK)
    run = run_playbook(str(playbook), {"h1": {}}, verbosity=3, workdir=str(tmp_path / "run"),
                       extravars=dict(emu_url=emu.url, emu_ca=emu.ca_path, tok=token + "\n",
                                      genesyscloud_sso_execution=execution))
    assert run.rc == 0, run.stdout[-3000:]
    assert "could not be reached" not in run.stdout and "retry" not in run.stdout.lower()
    _scan_run(run, secret_scan)
    assert secret_scan.hits == [], secret_scan.hits
