"""Identity providers over plain HTTP: both API families, field sets, validation codes, limits, permissions."""

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ADMIN, BETA_ADMIN, EDITOR, NOPERM, VIEWER, assert_error
from genesys_emulator import models

TYPES = sorted(models.PROVIDER_TYPES)
SAML_TYPES = [t for t in TYPES if t != "purecloud"]


def make_cert(days_from=-1, days_to=30):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to)).sign(key, hashes.SHA256()))


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def b64(cert):
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


GOOD = make_cert()


def valid_body(ptype, **extra):
    body = {"name": "P " + ptype, "issuerURI": "https://idp.example/" + ptype, "ssoTargetURI": "https://idp.example/sso",
            "certificates": [b64(GOOD)]}
    if ptype == "purecloud":
        body = {"name": "PureCloud", "disabled": False}
    body.update(extra)
    return body


@pytest.fixture()
def admin(fresh, http):
    return http.token(ADMIN)


@pytest.mark.parametrize("ptype", TYPES)
def test_per_type_put_get_delete(http, admin, ptype):
    assert_error(http.request("GET", "/api/v2/identityproviders/" + ptype, token=admin), 404, "not.found") \
        if ptype != "purecloud" else None
    body = valid_body(ptype, unknownField="dropped", id="ignored", selfUri="ignored")
    resp = http.request("PUT", "/api/v2/identityproviders/" + ptype, token=admin, json=body)
    assert resp.status_code == 200, resp.text
    short = resp.json()
    if ptype == "identitynow":
        assert short["issuerURI"] == body["issuerURI"] and short["certificates"] == body["certificates"]
    else:
        assert set(short) == {"id", "name", "disabled", "selfUri"}
    assert short["selfUri"] == "/api/v2/identityproviders/" + ptype and short["id"] != "ignored"
    got = http.request("GET", "/api/v2/identityproviders/" + ptype, token=admin).json()
    assert set(got) <= set(models.model_fields(ptype))
    assert "unknownField" not in got and got["id"] == short["id"]
    for key in body:
        if key in models.model_fields(ptype) and key not in ("id", "selfUri"):
            assert got[key] == body[key]
    # an update keeps the id and replaces the fields
    again = dict(body)
    again.pop("certificates", None)
    http.request("PUT", "/api/v2/identityproviders/" + ptype, token=admin, json=again)
    got2 = http.request("GET", "/api/v2/identityproviders/" + ptype, token=admin).json()
    assert got2["id"] == short["id"] and "certificates" not in got2
    resp = http.request("DELETE", "/api/v2/identityproviders/" + ptype, token=admin)
    assert resp.status_code == 200 and resp.json() == {}
    assert_error(http.request("GET", "/api/v2/identityproviders/" + ptype, token=admin), 404, "not.found")
    assert_error(http.request("DELETE", "/api/v2/identityproviders/" + ptype, token=admin), 404, "not.found")


def test_type_specific_fields(http, admin):
    for ptype, field in (("generic", "endpointCompression"), ("pureengage", "autoProvisionUsers")):
        http.request("PUT", "/api/v2/identityproviders/" + ptype, token=admin, json=valid_body(ptype, **{field: True}))
        assert http.request("GET", "/api/v2/identityproviders/" + ptype, token=admin).json()[field] is True
    http.request("PUT", "/api/v2/identityproviders/okta", token=admin,
                 json=valid_body("okta", endpointCompression=True, autoProvisionUsers=True))
    got = http.request("GET", "/api/v2/identityproviders/okta", token=admin).json()
    assert "endpointCompression" not in got and "autoProvisionUsers" not in got
    http.request("PUT", "/api/v2/identityproviders/purecloud", token=admin,
                 json={"name": "PureCloud", "disabled": True, "issuerURI": "x"})
    assert set(http.request("GET", "/api/v2/identityproviders/purecloud", token=admin).json()) == \
        {"id", "name", "disabled", "selfUri"}
    listing = http.request("GET", "/api/v2/identityproviders", token=admin).json()
    generic = [e for e in listing["entities"] if e["selfUri"].endswith("/generic")][0]
    assert "endpointCompression" not in generic  # listing entities are SAMLProvider


def test_certificates_stored_exactly_as_written(http, admin):
    cert_pem = pem(GOOD)
    wrapped = "\n".join(b64(GOOD)[i:i + 64] for i in range(0, len(b64(GOOD)), 64))
    body = valid_body("okta", certificate=cert_pem, certificates=[wrapped, b64(GOOD)])
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=body).status_code == 200
    got = http.request("GET", "/api/v2/identityproviders/okta", token=admin).json()
    assert got["certificate"] == cert_pem and got["certificates"] == [wrapped, b64(GOOD)]
    body = valid_body("adfs", certificates=[b64(GOOD)])
    http.request("PUT", "/api/v2/identityproviders/adfs", token=admin, json=body)
    got = http.request("GET", "/api/v2/identityproviders/adfs", token=admin).json()
    assert "certificate" not in got and got["disabled"] is False


@pytest.mark.parametrize("ptype", ["okta", "generic", "custom"])
@pytest.mark.parametrize("change,code", [
    ({"issuerURI": None}, "missing.issuer.uri"),
    ({"issuerURI": ""}, "missing.issuer.uri"),
    ({"ssoTargetURI": "http://idp.example/sso"}, "invalid.target.url"),
    ({"ssoTargetURI": "not a url"}, "invalid.target.url"),
    ({"certificates": ["%%%not-base64%%%"]}, "certificate.invalid.base64"),
    ({"certificate": "abc"}, "certificate.invalid.base64"),
    ({"certificates": [base64.b64encode(b"hello world, not DER").decode()]}, "certificate.unparseable"),
    ({"certificate": pem(make_cert(-30, -1))}, "certificate.expired"),
    ({"certificates": [b64(make_cert(2, 30))]}, "certificate.not.yet.valid"),
])
def test_validation_codes(http, admin, ptype, change, code):
    body = valid_body("okta" if ptype == "custom" else ptype)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    if ptype == "custom":
        resp = http.request("POST", "/api/v2/identityproviders", token=admin, json=body)
    else:
        resp = http.request("PUT", "/api/v2/identityproviders/" + ptype, token=admin, json=body)
    err = assert_error(resp, 400, code)
    assert err["message"]


@pytest.mark.parametrize("change,code", [
    ({"name": None}, "missing.provider.name"),
    ({"name": "  "}, "missing.provider.name"),
    ({"nameIdentifierFormat": "urn:bogus"}, "invalid.nameid.format"),
    ({"logoImageData": "A" * (25 * 1024 + 1)}, "provider.logo.too.large"),
])
def test_generic_and_custom_only_codes(http, admin, change, code):
    for method, path in (("PUT", "/api/v2/identityproviders/generic"), ("POST", "/api/v2/identityproviders")):
        body = valid_body("generic")
        for key, value in change.items():
            if value is None:
                body.pop(key)
            else:
                body[key] = value
        assert_error(http.request(method, path, token=admin, json=body), 400, code)
        # the same body is fine for okta (these rules are generic/custom only)
        okta = http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=body)
        assert okta.status_code == 200, okta.text


def test_all_nameid_formats_accepted(http, admin):
    from genesys_emulator.validation import NAMEID_FORMATS
    assert len(NAMEID_FORMATS) == 8
    for fmt in NAMEID_FORMATS:
        resp = http.request("PUT", "/api/v2/identityproviders/generic", token=admin,
                            json=valid_body("generic", nameIdentifierFormat=fmt, logoImageData="A" * 25 * 1024))
        assert resp.status_code == 200


def test_wrong_json_types(http, admin):
    assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=admin,
                              json=valid_body("okta", disabled="yes")), 400, "invalid.value")
    assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=[1, 2]), 400, "bad.request")
    assert_error(http.request("PUT", "/api/v2/identityproviders/okta", token=admin, data=b"",
                              headers={"Content-Type": "application/json"}), 400, "bad.request")


def test_custom_family(http, admin):
    resp = http.request("POST", "/api/v2/identityproviders", token=admin,
                        json=valid_body("custom", endpointCompression=True, autoProvisionUsers=True))
    assert resp.status_code == 200
    created = resp.json()
    assert created["endpointCompression"] is True and "autoProvisionUsers" not in created
    pid = created["id"]
    assert created["selfUri"] == "/api/v2/identityproviders/" + pid
    assert http.request("GET", "/api/v2/identityproviders/" + pid, token=admin).json() == created
    resp = http.request("PUT", "/api/v2/identityproviders/" + pid, token=admin,
                        json=valid_body("custom", name="Renamed", disabled=True))
    assert resp.status_code == 200 and resp.json()["name"] == "Renamed" and "endpointCompression" not in resp.json()
    resp = http.request("DELETE", "/api/v2/identityproviders/" + pid, token=admin)
    assert resp.status_code == 204 and resp.content == b""
    for method in ("GET", "PUT", "DELETE"):
        resp = http.request(method, "/api/v2/identityproviders/" + pid, token=admin,
                            json=valid_body("custom") if method == "PUT" else None)
        assert_error(resp, 404, "not.found")


def test_listing_contains_both_families(http, admin):
    http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=valid_body("okta"))
    custom = http.request("POST", "/api/v2/identityproviders", token=admin, json=valid_body("custom")).json()
    resp = http.request("GET", "/api/v2/identityproviders", token=admin)
    listing = resp.json()
    assert set(listing) >= {"entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri",
                            "selfUri"}
    assert listing["total"] == 2 == len(listing["entities"])
    assert {e["selfUri"] for e in listing["entities"]} == {"/api/v2/identityproviders/okta",
                                                           "/api/v2/identityproviders/" + custom["id"]}
    for entity in listing["entities"]:
        assert set(entity) <= set(models.SAMLProvider.model_fields)


def test_seeded_providers_of_other_org_are_isolated(http, admin):
    beta = http.token(BETA_ADMIN)
    listing = http.request("GET", "/api/v2/identityproviders", token=beta).json()
    names = sorted(e["name"] for e in listing["entities"])
    assert names == ["Corp IdP", "Okta", "PureCloud"]
    okta = http.request("GET", "/api/v2/identityproviders/okta", token=beta).json()
    assert "extraField" not in okta
    assert http.request("GET", "/api/v2/identityproviders/purecloud", token=beta).json()["disabled"] is True
    # acme's admin sees none of them
    assert http.request("GET", "/api/v2/identityproviders", token=admin).json()["total"] == 0


def test_thirty_integration_limit(http, admin):
    for i in range(29):
        assert http.request("POST", "/api/v2/identityproviders", token=admin,
                            json=valid_body("custom", name="c%d" % i)).status_code == 200
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=valid_body("okta")).status_code == 200
    assert_error(http.request("POST", "/api/v2/identityproviders", token=admin, json=valid_body("custom")), 400,
                 "bad.request")
    assert_error(http.request("PUT", "/api/v2/identityproviders/adfs", token=admin, json=valid_body("adfs")), 400,
                 "bad.request")
    # updating an existing one and purecloud are still fine
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=admin, json=valid_body("okta")).status_code == 200
    assert http.request("PUT", "/api/v2/identityproviders/purecloud", token=admin,
                        json=valid_body("purecloud")).status_code == 200
    assert http.request("GET", "/api/v2/identityproviders", token=admin).json()["total"] == 31


@pytest.mark.parametrize("client,method,path,needed", [
    (NOPERM, "GET", "/api/v2/identityproviders", ["sso:provider:view"]),
    (NOPERM, "GET", "/api/v2/identityproviders/okta", ["sso:provider:view"]),
    (VIEWER, "PUT", "/api/v2/identityproviders/okta", ["sso:provider:add", "sso:provider:edit"]),
    (VIEWER, "DELETE", "/api/v2/identityproviders/okta", ["sso:provider:delete"]),
    (EDITOR, "POST", "/api/v2/identityproviders", ["sso:provider:add"]),
    (VIEWER, "PUT", "/api/v2/identityproviders/some-id", ["sso:provider:edit"]),
    (EDITOR, "DELETE", "/api/v2/identityproviders/some-id", ["sso:provider:delete"]),
    (VIEWER, "GET", "/api/v2/oauth/clients", ["oauth:client:view"]),
    (VIEWER, "GET", "/api/v2/oauth/clients/admin-client", ["oauth:client:view"]),
])
def test_missing_permissions(http, fresh, client, method, path, needed):
    token = http.token(client)
    resp = http.request(method, path, token=token, json=valid_body("okta") if method in ("PUT", "POST") else None)
    body = assert_error(resp, 403, "missing.any.permissions")
    assert body["message"].endswith("[%s]" % ", ".join(needed))
    assert body["messageParams"] == {"permissions": ", ".join(needed)}


def test_edit_permission_alone_can_upsert_per_type(http, fresh):
    token = http.token(EDITOR)
    assert http.request("PUT", "/api/v2/identityproviders/okta", token=token, json=valid_body("okta")).status_code == 200
