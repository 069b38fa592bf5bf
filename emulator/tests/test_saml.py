"""POST /saml (the ACS): a configured provider really lets a seeded person sign in; every failure is clear."""

import base64
import json

import pytest

from conftest import ADMIN, ORG, ORG2, USER
from genesys_emulator import saml_idp
from genesys_emulator.saml_idp import TestIdP

AUDIENCE = "genesys.cloud.acme-prod"


@pytest.fixture(scope="module")
def setup(emu, http, idp):
    emu.reset()
    token = http.token(ADMIN)
    resp = http.request("PUT", "/api/v2/identityproviders/generic", token=token, json={
        "name": "Acme IdP", "issuerURI": idp.entity_id, "ssoTargetURI": idp.sso_url,
        "certificate": idp.certificate_pem, "relyingPartyIdentifier": AUDIENCE})
    assert resp.status_code == 200, resp.text
    return token


def acs(http, saml_response, **extra):
    data = {"SAMLResponse": saml_response}
    data.update(extra)
    return http.session.post(http.url + "/saml", data=data, verify=http.emu.ca_path, timeout=30)


def failure(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["result"] == "failure" and body["code"] == code and body["reason"]
    return body


def test_sign_in_success(http, idp, setup):
    resp = acs(http, idp.signed_response(USER[0], ORG, AUDIENCE, http.url + "/saml", service_name="directory"),
               RelayState="abc")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["result"] == "success" and body["org"] == ORG and body["email"] == USER[0]
    assert body["provider"] == "generic" and body["provider_name"] == "Acme IdP"
    assert body["service_name"] == "directory" and body["relay_state"] == "abc"
    assert resp.headers["ININ-Correlation-Id"]


def test_bare_assertion_and_email_case(http, idp, setup):
    resp = acs(http, idp.signed_assertion(USER[0].upper(), ORG, AUDIENCE))
    assert resp.status_code == 200, resp.text


def test_second_certificate_in_certificates_list(emu, http, idp, setup):
    rotated = TestIdP(entity_id=idp.entity_id)
    resp = http.request("POST", "/api/v2/identityproviders", token=setup, json={
        "name": "Rotating", "issuerURI": idp.entity_id, "relyingPartyIdentifier": AUDIENCE,
        "certificates": [idp.certificate_b64, rotated.certificate_b64]})
    assert resp.status_code == 200
    pid = resp.json()["id"]
    try:
        body = acs(http, rotated.signed_response(USER[0], ORG, AUDIENCE)).json()
        assert body["result"] == "success" and body["provider"] == "custom" and body["provider_id"] == pid
    finally:
        http.request("DELETE", "/api/v2/identityproviders/" + pid, token=setup)


@pytest.mark.parametrize("kwargs,status,code", [
    ({"audience": "urn:wrong"}, 403, "audience.mismatch"),
    ({"audience": None}, 403, "audience.mismatch"),
    ({"org_name": ORG2}, 403, "no.matching.provider"),
    ({"org_name": "no-such-org"}, 403, "unknown.organization"),
    ({"org_name": None}, 403, "missing.organization"),
    ({"email": "mallory@acme.example"}, 403, "unknown.user"),
    ({"issuer": "https://other-idp.example"}, 403, "no.matching.provider"),
    ({"valid_seconds": 5, "not_before_offset": -60}, 403, "assertion.expired"),
    ({"not_before_offset": 60}, 403, "assertion.not.yet.valid"),
    ({"sign": False}, 403, "missing.signature"),
    ({"signer": "other"}, 403, "invalid.signature"),
])
def test_sign_in_failures(http, idp, setup, kwargs, status, code):
    args = {"email": USER[0], "org_name": ORG, "audience": AUDIENCE}
    args.update(kwargs)
    if args.get("signer") == "other":
        args["signer"] = TestIdP(entity_id=idp.entity_id)
    email, org, audience = args.pop("email"), args.pop("org_name"), args.pop("audience")
    failure(acs(http, idp.signed_response(email, org, audience, **args)), status, code)


def test_clock_skew_tolerated(http, idp, setup):
    # NotBefore 8 s in the future is within the 10 s skew
    assert acs(http, idp.signed_response(USER[0], ORG, AUDIENCE, not_before_offset=8)).status_code == 200


def test_tampered_assertion_rejected(http, idp, setup):
    raw = base64.b64decode(idp.signed_response(USER[0], ORG, AUDIENCE)).replace(
        USER[0].encode(), b"alice@evil.example")
    failure(acs(http, base64.b64encode(raw).decode()), 403, "invalid.digest")


def test_disabled_provider_not_trusted(http, idp, setup):
    resp = http.request("PUT", "/api/v2/identityproviders/generic", token=setup, json={
        "name": "Acme IdP", "issuerURI": idp.entity_id, "certificate": idp.certificate_pem,
        "relyingPartyIdentifier": AUDIENCE, "disabled": True})
    assert resp.status_code == 200
    try:
        failure(acs(http, idp.signed_response(USER[0], ORG, AUDIENCE)), 403, "no.matching.provider")
    finally:
        http.request("PUT", "/api/v2/identityproviders/generic", token=setup, json={
            "name": "Acme IdP", "issuerURI": idp.entity_id, "certificate": idp.certificate_pem,
            "relyingPartyIdentifier": AUDIENCE})


@pytest.mark.parametrize("value,code", [("", "missing.saml.response"), ("%%%", "invalid.base64"),
                                        (base64.b64encode(b"<not xml").decode(), "invalid.xml"),
                                        (base64.b64encode(b"<a/>").decode(), "missing.assertion")])
def test_malformed_input(http, setup, value, code):
    failure(acs(http, value), 400, code)


def test_not_form_encoded(http, setup):
    resp = http.session.post(http.url + "/saml", json={"SAMLResponse": "x"}, verify=http.emu.ca_path)
    failure(resp, 415, "unsupported.media.type")


def test_metadata_xml(idp):
    from lxml import etree
    doc = etree.fromstring(idp.metadata_xml().encode())
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert doc.get("entityID") == idp.entity_id
    assert doc.findtext(".//ds:X509Certificate", namespaces=ns) == idp.certificate_b64
    locations = {e.get("Location") for e in doc.findall(".//md:SingleSignOnService", ns)}
    assert locations == {idp.sso_url}


def test_idp_cli_init_and_sign_in(emu, http, idp, tmp_path, capsys):
    emu.reset()
    assert saml_idp._cli(["init", "--dir", str(tmp_path), "--entity-id", "https://cli.example/e"]) == 0  # pylint: disable=protected-access
    info = json.loads(capsys.readouterr().out)
    loaded = saml_idp.TestIdP.load(str(tmp_path))
    assert loaded.fingerprint_sha256 == info["fingerprint_sha256"] and loaded.entity_id == "https://cli.example/e"
    token = http.token(ADMIN)
    resp = http.request("PUT", "/api/v2/identityproviders/ping", token=token, json={
        "name": "Ping", "issuerURI": "https://cli.example/e", "certificates": [loaded.certificate_b64]})
    assert resp.status_code == 200
    args = ["sign-in", "--url", emu.url, "--ca", emu.ca_path, "--dir", str(tmp_path), "--org", ORG]
    assert saml_idp._cli(args + ["--email", USER[0]]) == 0  # pylint: disable=protected-access
    assert json.loads(capsys.readouterr().out)["body"]["provider"] == "ping"
    assert saml_idp._cli(args + ["--email", "nobody@acme.example"]) == 1  # pylint: disable=protected-access
    assert json.loads(capsys.readouterr().out)["body"]["code"] == "unknown.user"
