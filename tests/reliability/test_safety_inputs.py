"""Inputs that cannot talk to the wrong thing (issue 13: B4, D12, D13, the metadata-URL part of C11).

genesys_identity_provider runs in-process exactly as its action plugin runs it (``conftest.run_core``) against
the emulator.  Each hostile value must fail the task cleanly (no exception, ``msg`` naming the option) with NO
request reaching the emulator (its request log, token requests included) and nothing written to the org:

* B4: provider ids that would change the request path (``../tokens/me`` + ``state: absent`` sent
  ``DELETE /api/v2/tokens/me``), from the ``id`` option and from a tampered backup file;
* D13: control characters / NUL in the string options written to the org, non-https ``slo_uri``,
  ``metadata_url``, ``sso_target_uri``, and malformed ``idp_metadata_url`` values (which raised unhandled
  ``ValueError`` before);
* D12: metadata with two IdP descriptors of one entity id, metadata without a signing certificate; a metadata
  server that trickles bytes cannot hold the task past ``timeout``, and ``validate_certs: false`` warns that TLS
  verification of the metadata host is off;
* C11: the password of an ``idp_metadata_url`` userinfo appears nowhere in the result.
"""

import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from conftest import connection, make_cert, run_core

ORG = "rel-aux"
CERT, _KEY = make_cert("safety-inputs-idp.example")
MODULE = "genesys_identity_provider"
EXAMPLES = int(os.environ.get("RELIABILITY_HYPOTHESIS_EXAMPLES", "120")) // 4 or 10


def base_generic(emu):
    return dict(connection(emu, ORG), type="generic", name="Corp IdP", issuer_uri="https://idp.safety.example/entity",
                sso_target_uri="https://idp.safety.example/sso", certificates=[CERT], enabled=True)


def _api_requests(emu, seq0):
    return [r for r in emu.requests(since=seq0)]


def _providers(emu):
    org = [o for o in emu.state().get("orgs", []) if o.get("name") == ORG]
    assert org, "org %s missing from the emulator state" % ORG
    providers = org[0].get("providers") or {}
    custom = org[0].get("custom") or []
    return providers, custom


def refused(emu, args, option, check_mode=False):
    """Run; assert a clean failure naming ``option``, no request at all, nothing written. Returns the result."""
    seq0 = emu.last_seq()
    before = _providers(emu)
    result = run_core(MODULE, args, check_mode=check_mode)
    text = json.dumps(result, default=str)
    assert result.failed, "accepted: %s" % text[:600]
    msg = str(result.get("msg") or "")
    assert option in msg, "the message does not name %s: %s" % (option, msg)
    assert "Traceback" not in text
    arrived = _api_requests(emu, seq0)
    assert arrived == [], "requests reached the emulator: %s" % ["%s %s" % (r["method"], r["path"]) for r in arrived]
    assert _providers(emu) == before, "the org changed"
    return result


def test_baseline_reaches_the_emulator(emu):
    """Control: the un-mutated option set is valid and sends requests, so "no request" below means something."""
    result = run_core(MODULE, base_generic(emu))
    assert not result.failed, result.get("msg")
    assert any(r["path"].startswith("/api/v2/identityproviders") for r in emu.requests(org=ORG))


# ------------------------------------------------------------------------------------------ B4: provider ids
@pytest.mark.parametrize("state", ["absent", "present"])
@pytest.mark.parametrize("bad_id", hostile.HOSTILE_IDS)
def test_hostile_id_option_sends_nothing(emu, bad_id, state):
    args = dict(connection(emu, ORG), type="custom", id=bad_id, state=state)
    if state == "present":
        args.update(name="Corp IdP", issuer_uri="https://idp.safety.example/entity", certificates=[CERT])
    refused(emu, args, "id")


def test_tampered_backup_id_sends_nothing(emu, tmp_path):
    """A backup whose provider.id points elsewhere (``../oauth/clients/<bot>``) is refused before any request."""
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as core

    for number, bad_id in enumerate(["../oauth/clients/%s-bot1" % ORG, "../tokens/me", "x/../../organizations/me"]):
        path = tmp_path / ("backup-%d.json" % number)
        path.write_text(json.dumps(dict(format=core.BACKUP_FORMAT, version=core.BACKUP_VERSION, type="custom",
                                        provider=dict(id=bad_id, name="Corp IdP", issuerURI="urn:x"))))
        result = refused(emu, dict(connection(emu, ORG), restore_from=str(path)), str(path))
        assert "provider.id" in result["msg"] or "id" in result["msg"]


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bad_id=hostile.hostile_ids())
def test_any_hostile_id_sends_nothing(emu, bad_id):
    refused(emu, dict(connection(emu, ORG), type="custom", id=bad_id, state="absent"), "id")


# ------------------------------------------------------------------------------------------ D13: strings, URLs
STRING_OPTIONS = ["name", "issuer_uri", "relying_party_identifier", "provider_name"]


@pytest.mark.parametrize("option", STRING_OPTIONS)
@pytest.mark.parametrize("char", ["\x00", "\n", "\r\n", "\x1b", "\x7f", "\u2028"], ids=lambda c: repr(c))
def test_control_characters_are_refused(emu, option, char):
    args = base_generic(emu)
    args[option] = "Corp%sIdP" % char
    result = refused(emu, args, option)
    assert char not in result["msg"]


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(option=st.sampled_from(STRING_OPTIONS), value=hostile.control_strings())
def test_any_control_string_is_refused(emu, option, value):
    args = base_generic(emu)
    args[option] = value
    refused(emu, args, option)


@pytest.mark.parametrize("option, value", [
    ("slo_uri", "http://idp.safety.example/slo"),
    ("slo_uri", "javascript:alert(1)"),
    ("metadata_url", "javascript:alert(1)"),
    ("metadata_url", "http://idp.safety.example/metadata.xml"),
    ("metadata_url", "data:text/xml,<x/>"),
    ("sso_target_uri", "javascript:alert(1)"),
    ("sso_target_uri", "https://idp.safety.example/sso\x00"),
])
def test_non_https_url_options_are_refused(emu, option, value):
    args = base_generic(emu)
    args[option] = value
    refused(emu, args, option)


def _metadata_args(emu, **extra):
    args = base_generic(emu)
    for key in ("issuer_uri", "sso_target_uri", "certificates"):
        args.pop(key)
    args.update(extra)
    return args


@pytest.mark.parametrize("url", hostile.MALFORMED_URLS, ids=lambda u: repr(u)[:40])
def test_malformed_metadata_urls_are_clean_errors(emu, url):
    result = refused(emu, _metadata_args(emu, idp_metadata_url=url), "idp_metadata_url")
    assert "hunter2-metadata-pw" not in json.dumps(result, default=str)


# ------------------------------------------------------------------------------------------ D12: metadata
def _descriptor(entity_id, sso, cert=None):
    key = ""
    if cert:
        key = ('<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
               '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>' % cert)
    return ('<md:EntityDescriptor entityID="%s"><md:IDPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s<md:SingleSignOnService '
            'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%s"/></md:IDPSSODescriptor>'
            '</md:EntityDescriptor>' % (entity_id, key, sso))


def _entities(*descriptors):
    return ('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">%s</md:EntitiesDescriptor>' % "".join(descriptors))


B64 = "".join(line for line in CERT.splitlines() if "-----" not in line)


@pytest.mark.parametrize("entity_id", [None, "https://idp.safety.example/entity"])
def test_two_idps_with_one_entity_id_are_refused(emu, entity_id):
    xml = _entities(_descriptor("https://idp.safety.example/entity", "https://good.safety.example/sso", B64),
                    _descriptor("https://idp.safety.example/entity", "https://evil.safety.example/sso", B64))
    args = _metadata_args(emu, idp_metadata=xml)
    if entity_id:
        args["idp_entity_id"] = entity_id
    result = refused(emu, args, "IdP metadata")
    assert "ambiguous" in result["msg"] and "https://idp.safety.example/entity" in result["msg"]


def test_metadata_without_signing_certificate_is_refused(emu):
    xml = _entities(_descriptor("https://idp.safety.example/entity", "https://idp.safety.example/sso"))
    result = refused(emu, _metadata_args(emu, idp_metadata=xml), "IdP metadata")
    assert "no usable signing certificate" in result["msg"] and "certificates option" in result["msg"]


def test_metadata_without_signing_certificate_warns_when_certificates_are_given(emu):
    xml = _entities(_descriptor("https://idp.safety.example/entity", "https://idp.safety.example/sso"))
    result = run_core(MODULE, _metadata_args(emu, idp_metadata=xml, certificates=[CERT]))
    assert not result.failed, result.get("msg")
    assert any("publishes no usable signing certificate" in w for w in result.get("warnings", [])), result
    assert result["changed"]


@pytest.fixture
def trickling_metadata_server(tmp_path):
    """A loopback HTTPS server (127.0.0.1, self-signed) that sends its metadata at one byte per 50 ms (about 10 s
    for the document). Bounded: every handler stops when the test ends; the fixture shuts the server down."""
    cert_pem, key_pem = make_cert("127.0.0.1")
    (tmp_path / "cert.pem").write_text(cert_pem)
    (tmp_path / "key.pem").write_text(key_pem)
    stop = threading.Event()
    body = _entities(_descriptor("https://idp.safety.example/entity", "https://idp.safety.example/sso", B64))
    body = body.encode("utf-8")
    served = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            served.append(self.path)
            try:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                for index in range(min(len(body), 200)):
                    if stop.wait(0.05):
                        return
                    self.wfile.write(body[index:index + 1])
                    self.wfile.flush()
                self.wfile.write(body[200:])
            except (OSError, ValueError):   # the client gave up: that is the point
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.1))
    thread.daemon = True
    thread.start()
    try:
        yield dict(url="https://user:hunter2-metadata-pw@127.0.0.1:%d/metadata.xml" % server.server_address[1],
                   served=served)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_trickling_metadata_server_cannot_hold_the_task(emu, trickling_metadata_server):
    """timeout: 2 is the deadline of the whole download; validate_certs: false warns for the metadata host too;
    the userinfo password is nowhere in the result; nothing reached the emulator."""
    args = _metadata_args(emu, idp_metadata_url=trickling_metadata_server["url"], timeout=2, validate_certs=False)
    start = time.monotonic()
    result = refused(emu, args, "idp_metadata_url")
    elapsed = time.monotonic() - start
    assert elapsed < 4.5, elapsed   # 2 s deadline + the bounded waits for the download thread
    assert "did not finish within the timeout of 2 s" in result["msg"]
    assert trickling_metadata_server["served"] == ["/metadata.xml"]
    text = json.dumps(result, default=str)
    assert "hunter2-metadata-pw" not in text and "user:***@127.0.0.1" in result["msg"]
    assert any(w.startswith("TLS verification of the IdP metadata host 127.0.0.1 is off because validate_certs "
                            "is false") for w in result.get("warnings", [])), result.get("warnings")
