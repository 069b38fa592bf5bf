"""The ACS (POST /saml) and the SAML2-bearer grant behave like a correct SP, proven with pysaml2 as the IdP.

pysaml2 (``saml2.server.Server``, signing through xmlsec1) builds every message here, so a sign-in proven in
this file does not rest on the project's own test IdP agreeing with the project's own verifier; pysaml2's SP
(``Saml2Client``) and python3-saml (strict) are the reference SPs: they decide the sign-in proofs and the
wrapping variants the same way as the emulator. Each refusal has its own code (see the docstring of
``genesys_emulator/saml.py``). One emulator for the module.
"""

import base64
import copy
import datetime
import shutil
import uuid
import warnings

import pytest

pytest.importorskip("saml2")
if shutil.which("xmlsec1") is None:  # pragma: no cover - .ci/run and `make deps` install it
    pytest.fail("xmlsec1 is missing (pysaml2 signs with it): apt-get install xmlsec1", pytrace=False)

# pylint: disable=wrong-import-position
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from lxml import etree  # noqa: E402
with warnings.catch_warnings():  # pysaml2 7.5.5 imports a cipher mode cryptography has moved (not used here)
    warnings.simplefilter("ignore")
    from saml2 import BINDING_HTTP_POST, config, samlp, server  # noqa: E402
    from saml2.client import Saml2Client  # noqa: E402
    from saml2.metadata import entity_descriptor  # noqa: E402
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID  # noqa: E402

from conftest import ORG, SAML_CLIENT, USER  # noqa: E402
from genesys_emulator import saml as emu_saml  # noqa: E402

AUD1 = "genesys.cloud.acme-prod"
AUD2 = "genesys.cloud.acme-prod-second"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


def _key_and_cert(tmp, name, days=365, start=None):
    """Key and self-signed certificate made with cryptography alone (not the project's TestIdP)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = start or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    key_path, cert_path = tmp / (name + "-key.pem"), tmp / (name + "-cert.pem")
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path), base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _sp_metadata(entity_ids, acs_url):
    """Inline SP metadata: pysaml2 only answers SPs it knows (one per Audience the tests send)."""
    parts = ['<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">']
    for entity in entity_ids:
        parts.append(
            '<md:EntityDescriptor entityID="%s"><md:SPSSODescriptor protocolSupportEnumeration="%s">'
            '<md:NameIDFormat>%s</md:NameIDFormat><md:AssertionConsumerService Binding="%s" Location="%s" '
            'index="0"/></md:SPSSODescriptor></md:EntityDescriptor>' % (entity, SAMLP, NAMEID_FORMAT_EMAILADDRESS,
                                                                       BINDING_HTTP_POST, acs_url))
    parts.append("</md:EntitiesDescriptor>")
    return "".join(parts)


class Pysaml2IdP:
    """An IdP built on pysaml2's ``saml2.server.Server``."""

    def __init__(self, tmp, entity_id, audiences, acs_url, days=365, start=None):
        self.entity_id = entity_id
        self.acs_url = acs_url
        name = "p2-%s" % uuid.uuid4().hex[:8]
        key_file, cert_file, self.certificate_b64 = _key_and_cert(tmp, name, days=days, start=start)
        conf = config.IdPConfig()
        conf.load({
            "entityid": entity_id, "key_file": key_file, "cert_file": cert_file,
            "xmlsec_binary": shutil.which("xmlsec1"),
            "metadata": {"inline": [_sp_metadata(audiences, acs_url)]}, "allow_unknown_attributes": True,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [("https://idp.p2.example/sso", BINDING_HTTP_POST)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"}}}},
        })
        self.server = server.Server(config=conf)

    def response_xml(self, audience=AUD1, email=USER[0], org=ORG, destination=None, sign_assertion=True,
                     sign_response=False, sign_alg=RSA_SHA256, digest_alg=SHA256):
        xml = self.server.create_authn_response(
            {"email": [email], "OrganizationName": [org]}, in_response_to=None,
            destination=destination or self.acs_url, sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=sign_assertion, sign_response=sign_response, sign_alg=sign_alg, digest_alg=digest_alg)
        return str(xml).encode("utf-8")

    def response(self, **kwargs):
        return b64(self.response_xml(**kwargs))

    def assertion(self, **kwargs):
        """The signed assertion alone (what the SAML2-bearer grant takes)."""
        root = etree.fromstring(self.response_xml(**kwargs))
        return b64(etree.tostring(root.find("{%s}Assertion" % SAML)))

    def error_response(self, status=samlp.STATUS_AUTHN_FAILED, message="user cancelled"):
        xml = self.server.create_error_response(None, self.acs_url, (status, message), sign=False)
        return b64(str(xml).encode("utf-8"))


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


class ReferenceSP:
    """pysaml2's own SP (``Saml2Client``) for the AUD1 integration: what a correct SP decides on a message."""

    def __init__(self, idp, acs_url):
        conf = config.SPConfig()
        conf.load({"entityid": AUD1, "xmlsec_binary": shutil.which("xmlsec1"), "allow_unknown_attributes": True,
                   "metadata": {"inline": [str(entity_descriptor(idp.server.config))]},
                   "service": {"sp": {"endpoints": {"assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)]},
                                      "allow_unsolicited": True, "want_assertions_signed": False,
                                      "want_response_signed": False, "want_assertions_or_response_signed": True}}})
        self.client = Saml2Client(config=conf)

    def accepts(self, message):
        """The NameID pysaml2's SP would sign in, or None when it refuses the message."""
        try:
            answer = self.client.parse_authn_request_response(message, BINDING_HTTP_POST)
        except Exception:  # pysaml2 refuses with many exception types  # pylint: disable=broad-except
            return None
        return answer.get_subject().text if answer is not None else None


class OneLoginSP:
    """python3-saml (OneLogin, signing checks through the xmlsec binding) in strict mode: a second reference SP."""

    def __init__(self, idp, acs_url):
        from onelogin.saml2.settings import OneLogin_Saml2_Settings  # pylint: disable=import-outside-toplevel
        post = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        self.settings = OneLogin_Saml2_Settings({
            "strict": True, "debug": False,
            "sp": {"entityId": AUD1, "assertionConsumerService": {"url": acs_url, "binding": post}},
            "idp": {"entityId": idp.entity_id, "x509cert": idp.certificate_b64,
                    "singleSignOnService": {"url": "https://idp.p2.example/sso", "binding": post}},
            "security": {"wantAssertionsSigned": False, "wantMessagesSigned": False,
                         "rejectDeprecatedAlgorithm": False}}, sp_validation_only=True)
        host = acs_url.split("://", 1)[1].split("/", 1)[0]
        self.request = {"https": "on", "http_host": host, "script_name": "/saml"}

    def accepts(self, message):
        from onelogin.saml2.response import OneLogin_Saml2_Response  # pylint: disable=import-outside-toplevel
        answer = OneLogin_Saml2_Response(self.settings, message)
        try:
            answer.is_valid(self.request, raise_exceptions=True)
        except Exception:  # pylint: disable=broad-except
            return None
        return answer.get_nameid()


class ReferenceSPs:
    """Both reference SPs: ``accepts`` is the NameID when both sign the user in, None when both refuse."""

    def __init__(self, idp, acs_url):
        self.sps = [ReferenceSP(idp, acs_url), OneLoginSP(idp, acs_url)]

    def accepts(self, message):
        answers = [sp.accepts(message) for sp in self.sps]
        assert len(set(answers)) == 1, "the reference SPs disagree: %s" % answers
        return answers[0]


@pytest.fixture(scope="module")
def world(emu, http, tmp_path_factory):
    """Providers: generic (AUD1) and a second custom integration of the same IdP (same issuer and certificate,
    AUD2); an IdP whose provider has no relyingPartyIdentifier; one whose only certificate has expired."""
    tmp = tmp_path_factory.mktemp("pysaml2")
    emu.reset()
    acs_url = http.url + "/saml"
    audiences = [AUD1, AUD2, acs_url, http.url + "/oauth/token", "urn:wrong:audience"]
    main = Pysaml2IdP(tmp, "https://p2.idp.example/entity", audiences, acs_url)
    other_key = Pysaml2IdP(tmp, main.entity_id, audiences, acs_url)
    no_rpi = Pysaml2IdP(tmp, "https://p2.idp.example/no-rpi", audiences, acs_url)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    expired = Pysaml2IdP(tmp, "https://p2.idp.example/expired", audiences, acs_url, days=2, start=past)
    token = http.token(("admin-client", "admin-secret"))
    resp = http.request("PUT", "/api/v2/identityproviders/generic", token=token, json={
        "name": "Corp IdP", "issuerURI": main.entity_id, "certificate": main.certificate_b64,
        "relyingPartyIdentifier": AUD1})
    assert resp.status_code == 200, resp.text
    resp = http.request("POST", "/api/v2/identityproviders", token=token, json={
        "name": "Corp IdP second RP", "issuerURI": main.entity_id, "certificates": [main.certificate_b64],
        "relyingPartyIdentifier": AUD2})
    assert resp.status_code == 200, resp.text
    second_id = resp.json()["id"]
    resp = http.request("PUT", "/api/v2/identityproviders/ping", token=token, json={
        "name": "No RPI", "issuerURI": no_rpi.entity_id, "certificates": [no_rpi.certificate_b64]})
    assert resp.status_code == 200, resp.text
    # The API refuses an expired certificate on write: the seed of a second org holds one that expired since.
    emu.add_orgs([{"name": "expired-org", "users": [{"email": USER[0], "password": "pw"}],
                   "providers": {"okta": {"name": "Okta", "issuerURI": expired.entity_id,
                                          "certificate": expired.certificate_b64, "relyingPartyIdentifier": AUD1}}}])
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC signing")])
    ec_cert = (x509.CertificateBuilder().subject_name(ec_name).issuer_name(ec_name).public_key(ec_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(past)
               .not_valid_after(past + datetime.timedelta(days=400)).sign(ec_key, hashes.SHA256()))
    emu.add_orgs([{"name": "ec-org", "users": [{"email": USER[0], "password": "pw"}],
                   "providers": {"okta": {"name": "Okta EC", "issuerURI": main.entity_id,
                                          "relyingPartyIdentifier": AUD1,
                                          "certificate": ec_cert.public_bytes(serialization.Encoding.PEM).decode()}}}])
    emu.add_orgs([{"name": "junk-org", "users": [{"email": USER[0], "password": "pw"}],
                   "providers": {"okta": {"name": "Okta junk", "issuerURI": main.entity_id,
                                          "relyingPartyIdentifier": AUD1,
                                          "certificate": base64.b64encode(b"not a certificate").decode()}}}])
    return {"main": main, "other_key": other_key, "sp": ReferenceSPs(main, acs_url), "no_rpi": no_rpi,
            "expired": expired, "second_id": second_id, "acs": acs_url}


def acs(http, message):
    return http.session.post(http.url + "/saml", data={"SAMLResponse": message}, verify=http.emu.ca_path, timeout=30)


def refused(resp, code, status=403):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["result"] == "failure" and body["code"] == code, body
    assert body["reason"] and "does not verify against any certificate" not in body["reason"] \
        or code == "invalid.signature", body
    return body["reason"]


# ------------------------------------------------------------------------------------------ sign-in proofs
@pytest.mark.parametrize("signing", ["assertion", "response", "both"])
def test_pysaml2_response_signs_in(http, world, signing):
    message = world["main"].response(sign_assertion=signing != "response", sign_response=signing != "assertion")
    resp = acs(http, message)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["result"] == "success" and body["provider"] == "generic" and body["email"] == USER[0]
    assert world["sp"].accepts(message) == USER[0]  # both reference SPs agree


def test_second_integration_of_the_same_idp_signs_in(http, world):
    """Same issuer and certificate, another relying party: the integration whose Audience matches is chosen."""
    body = acs(http, world["main"].response(audience=AUD2)).json()
    assert body["result"] == "success", body
    assert body["provider"] == "custom" and body["provider_id"] == world["second_id"]
    assert body["provider_name"] == "Corp IdP second RP"
    assert acs(http, world["main"].response(audience=AUD1)).json()["provider"] == "generic"


def test_sha1_signature_accepted_by_default(http, world):
    """pysaml2's own default is RSA-SHA1 with SHA-1 digests: the emulator's default policy accepts it (so do the
    reference SPs, python3-saml with rejectDeprecatedAlgorithm off, its default)."""
    assert emu_saml.sha1_policy() == "accept"
    message = world["main"].response(sign_alg=RSA_SHA1, digest_alg=SHA1)
    resp = acs(http, message)
    assert resp.status_code == 200, resp.text
    assert world["sp"].accepts(message) == USER[0]


def test_audience_checked_when_relying_party_identifier_is_empty(http, world):
    """No relyingPartyIdentifier: the ACS URL is the audience; any other Audience is refused with a fix."""
    resp = acs(http, world["no_rpi"].response(audience=world["acs"]))
    assert resp.status_code == 200, resp.text
    assert resp.json()["provider"] == "ping"
    reason = refused(acs(http, world["no_rpi"].response(audience=AUD1)), "audience.mismatch")
    assert "relyingPartyIdentifier is empty" in reason and AUD1 in reason


# --------------------------------------------------------------------------------------------- refusals
def test_wrong_key(http, world):
    reason = refused(acs(http, world["other_key"].response()), "invalid.signature")
    assert "Corp IdP" in reason
    # a certificate of another key type (EC) than the signature (RSA) is a wrong key too, not a malformed signature
    reason = refused(acs(http, world["main"].response(org="ec-org")), "invalid.signature")
    assert "Okta EC" in reason


def test_configured_certificate_that_is_no_certificate(http, world):
    reason = refused(acs(http, world["main"].response(org="junk-org")), "no.certificate")
    assert "Okta junk" in reason


def test_audience_of_no_integration(http, world):
    reason = refused(acs(http, world["main"].response(audience="urn:wrong:audience")), "audience.mismatch")
    assert "urn:wrong:audience" in reason


def test_destination(http, world):
    wrong = "https://login.mypurecloud.com/saml"
    message = world["main"].response(destination=wrong)
    reason = refused(acs(http, message), "destination.mismatch")
    assert wrong in reason and world["acs"] in reason
    assert world["sp"].sps[1].accepts(message) is None  # python3-saml refuses it too


def test_recipient(http, world):
    """A bare assertion (no Response, so no Destination) whose bearer Recipient is another ACS."""
    message = world["main"].assertion(destination="https://login.mypurecloud.com/saml")
    refused(acs(http, message), "recipient.mismatch")


def test_replayed_response(http, world):
    message = world["main"].response()
    assert acs(http, message).status_code == 200
    reason = refused(acs(http, message), "replayed.response")
    assert "already used" in reason


def test_status_not_success(http, world):
    reason = refused(acs(http, world["main"].error_response()), "status.not.success")
    assert samlp.STATUS_AUTHN_FAILED in reason and "user cancelled" in reason


def test_expired_configured_certificate(http, world):
    message = world["expired"].response(org="expired-org")
    reason = refused(acs(http, message), "certificate.expired")
    assert "Okta" in reason and "expired on" in reason


def _tree(message):
    return etree.fromstring(base64.b64decode(message))


def _post_tree(http, root):
    return acs(http, b64(etree.tostring(root)))


def test_unsigned(http, world):
    root = _tree(world["main"].response())
    sig = root.find(".//{%s}Signature" % DS)
    sig.getparent().remove(sig)
    refused(_post_tree(http, root), "missing.signature")


def test_tampered(http, world):
    root = _tree(world["main"].response())
    root.find(".//{%s}NameID" % SAML).text = "mallory@acme.example"
    for value in root.iter("{%s}AttributeValue" % SAML):
        if value.text == USER[0]:
            value.text = "mallory@acme.example"
    refused(_post_tree(http, root), "invalid.digest")


@pytest.mark.parametrize("damage", ["no_signature_value", "bad_base64"])
def test_malformed_signature(http, world, damage):
    root = _tree(world["main"].response())
    value = root.find(".//{%s}SignatureValue" % DS)
    if damage == "no_signature_value":
        value.getparent().remove(value)
    else:
        value.text = "@@not base64@@"
    refused(_post_tree(http, root), "malformed.signature")


def test_hmac_key_confusion(http, world):
    root = _tree(world["main"].response())
    root.find(".//{%s}SignatureMethod" % DS).set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
    refused(_post_tree(http, root), "unsupported.signature.algorithm")


def test_sha1_refused_variant(world, monkeypatch):
    """``GENESYS_EMULATOR_SAML_SHA1=refuse`` (or set_sha1_policy): SHA-1 gets its own code, not a bad signature."""
    from genesys_emulator.store import Store
    store = Store(seed={"orgs": [{"name": ORG, "users": [{"email": USER[0], "password": "pw"}], "providers": {
        "generic": {"name": "Corp IdP", "issuerURI": world["main"].entity_id,
                    "certificate": world["main"].certificate_b64, "relyingPartyIdentifier": AUD1}}}]})
    sha1 = world["main"].response(sign_alg=RSA_SHA1, digest_alg=SHA1)
    sha1_digest_only = world["main"].response(sign_alg=RSA_SHA256, digest_alg=SHA1)
    monkeypatch.setenv(emu_saml.SHA1_ENV, "refuse")
    for message in (sha1, sha1_digest_only):
        with pytest.raises(emu_saml.SamlError) as err:
            emu_saml.verify(store, message, acs_url=world["acs"])
        assert err.value.code == "signature.sha1.refused" and "RSA-SHA256" in err.value.reason
    monkeypatch.delenv(emu_saml.SHA1_ENV)
    try:
        emu_saml.set_sha1_policy("refuse")
        with pytest.raises(emu_saml.SamlError):
            emu_saml.verify(store, sha1, acs_url=world["acs"])
        emu_saml.set_sha1_policy("accept")
        assert emu_saml.verify(store, sha1, acs_url=world["acs"])["provider"] == "generic"
    finally:
        emu_saml.set_sha1_policy(None)
    with pytest.raises(ValueError):
        emu_saml.set_sha1_policy("maybe")


# ------------------------------------------------------------------------------------- signature wrapping
def _evil_assertion(signed_assertion):
    evil = copy.deepcopy(signed_assertion)
    sig = evil.find("{%s}Signature" % DS)
    if sig is not None:
        evil.remove(sig)
    evil.set("ID", "_evil" + uuid.uuid4().hex)
    evil.find(".//{%s}NameID" % SAML).text = "mallory@acme.example"
    return evil


def _wrap(root, variant):
    """Seven XSW variants (extra or moved assertions; see the SAML wrapping literature, XSW1-8)."""
    assertion = root.find("{%s}Assertion" % SAML)
    status = root.find("{%s}Status" % SAMLP)
    evil = _evil_assertion(assertion)
    if variant == "evil_before_signed":        # XSW: extra assertion first, the signed one still present
        assertion.addprevious(evil)
    elif variant == "evil_after_signed":       # XSW: extra assertion after the signed one
        assertion.addnext(evil)
    elif variant == "signed_in_extensions":    # XSW: signed assertion moved into samlp:Extensions
        ext = etree.Element("{%s}Extensions" % SAMLP)
        status.addprevious(ext)
        root.remove(assertion)
        ext.append(assertion)
        root.append(evil)
    elif variant == "signed_in_evil_signature":  # XSW: signed assertion inside the forged one's Signature/Object
        sig = copy.deepcopy(assertion.find("{%s}Signature" % DS))
        obj = etree.SubElement(sig, "{%s}Object" % DS)
        root.remove(assertion)
        obj.append(assertion)
        evil.insert(1, sig)
        root.append(evil)
    elif variant == "same_id_evil_first":      # XSW: forged assertion with the signed one's ID, the signed one moved
        evil.set("ID", assertion.get("ID"))
        ext = etree.Element("{%s}Extensions" % SAMLP)
        status.addprevious(ext)
        root.remove(assertion)
        ext.append(assertion)
        root.append(evil)
    elif variant == "moved_signature":         # the assertion's signature moved to the Response, assertion forged
        sig = assertion.find("{%s}Signature" % DS)
        assertion.remove(sig)
        root.insert(1, sig)
        assertion.find(".//{%s}NameID" % SAML).text = "mallory@acme.example"
    elif variant == "signed_response_wrapped":  # XSW1/2: forged Response around the signed original one
        original = copy.deepcopy(root)
        for child in list(root):
            if child.tag in ("{%s}Signature" % DS, "{%s}Assertion" % SAML):
                root.remove(child)
        root.set("ID", "_evilresp" + uuid.uuid4().hex)
        sig = copy.deepcopy(original.find("{%s}Signature" % DS))
        etree.SubElement(sig, "{%s}Object" % DS).append(original)
        root.insert(1, sig)
        root.append(_evil_assertion(original.find("{%s}Assertion" % SAML)))
    return root


WRAPPING = {
    "evil_before_signed": "multiple.assertions",
    "evil_after_signed": "multiple.assertions",
    "signed_in_extensions": "multiple.assertions",
    "signed_in_evil_signature": "multiple.assertions",
    "same_id_evil_first": "multiple.assertions",
    "moved_signature": "signature.reference.mismatch",
    "signed_response_wrapped": "multiple.assertions",
}


@pytest.mark.parametrize("variant", sorted(WRAPPING))
def test_signature_wrapping_refused(http, world, variant):
    signed_response = variant == "signed_response_wrapped"
    root = _tree(world["main"].response(sign_response=signed_response, sign_assertion=not signed_response))
    message = b64(etree.tostring(_wrap(root, variant)))
    resp = acs(http, message)
    refused(resp, WRAPPING[variant])
    assert "mallory" not in resp.text
    assert world["sp"].accepts(message) is None  # pysaml2's and python3-saml's SPs refuse it too


@pytest.mark.parametrize("case", ["wrong_key", "audience", "tampered", "unsigned", "status"])
def test_refusals_agree_with_the_reference_sps(http, world, case):
    """Each refusal of the emulator is one pysaml2's and python3-saml's SPs make too (so none is the emulator
    agreeing with itself). Destination: python3-saml refuses a wrong one; pysaml2 (unsolicited) does not check it."""
    if case == "wrong_key":
        message = world["other_key"].response()
    elif case == "audience":
        message = world["main"].response(audience="urn:wrong:audience")
    elif case == "status":
        message = world["main"].error_response()
    else:
        root = _tree(world["main"].response())
        if case == "tampered":
            root.find(".//{%s}NameID" % SAML).text = "mallory@acme.example"
        else:
            sig = root.find(".//{%s}Signature" % DS)
            sig.getparent().remove(sig)
        message = b64(etree.tostring(root))
    assert world["sp"].accepts(message) is None
    assert acs(http, message).status_code == 403


def test_wrapping_checks_one_by_one(http, world):
    """The single-assertion wrappings: duplicate IDs, a signature outside Response/Assertion, a moved assertion."""
    root = _tree(world["main"].response())
    assertion = root.find("{%s}Assertion" % SAML)
    ext = etree.Element("{%s}Extensions" % SAMLP)
    ext.set("ID", assertion.get("ID"))
    root.find("{%s}Status" % SAMLP).addprevious(ext)
    refused(_post_tree(http, root), "duplicate.id")
    root = _tree(world["main"].response())
    assertion = root.find("{%s}Assertion" % SAML)
    ext = etree.Element("{%s}Extensions" % SAMLP)
    root.find("{%s}Status" % SAMLP).addprevious(ext)
    stray = copy.deepcopy(assertion.find("{%s}Signature" % DS))
    stray.attrib.pop("Id", None)
    ext.append(stray)
    refused(_post_tree(http, root), "signature.misplaced")
    root = _tree(world["main"].response())
    assertion = root.find("{%s}Assertion" % SAML)
    ext = etree.Element("{%s}Extensions" % SAMLP)
    root.find("{%s}Status" % SAMLP).addprevious(ext)
    root.remove(assertion)
    ext.append(assertion)
    refused(_post_tree(http, root), "assertion.misplaced")


# ------------------------------------------------------------------------------------ SAML2-bearer grant
def grant(http, assertion):
    return http.token_response(SAML_CLIENT, grant="urn:ietf:params:oauth:grant-type:saml2-bearer",
                               orgName=ORG, assertion=assertion)


def test_saml2_bearer_grant(http, world):
    """A pysaml2 assertion mints a token, for either integration; the token URL is also a valid Recipient; the
    grant does not refuse a re-used assertion (RFC 7522 leaves that optional); refusals keep their reason."""
    assertion = world["main"].assertion(audience=AUD2)
    first, again = grant(http, assertion), grant(http, assertion)
    assert first.status_code == 200 and again.status_code == 200, (first.text, again.text)
    assert grant(http, world["main"].assertion(destination=http.url + "/oauth/token")).status_code == 200
    wrong = grant(http, world["main"].assertion(audience="urn:wrong:audience"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert "urn:wrong:audience" in wrong.json()["error_description"]
    sha_key = grant(http, world["other_key"].assertion())
    assert sha_key.status_code == 400 and "does not verify" in sha_key.json()["error_description"]
    # no relyingPartyIdentifier: the ACS URL or the token URL (RFC 7522's authorization server) is the audience
    token_url = http.url + "/oauth/token"
    for audience in (world["acs"], token_url):
        assert grant(http, world["no_rpi"].assertion(audience=audience, destination=token_url)).status_code == 200
    other = grant(http, world["no_rpi"].assertion(audience=AUD1))
    assert other.status_code == 400 and "relyingPartyIdentifier is empty" in other.json()["error_description"]
