"""SAML response / assertion verification for the ACS (POST /saml) and the SAML2-bearer grant."""

import base64
import binascii
import datetime

from .validation import ValidationError, certificate_pem

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
SKEW = datetime.timedelta(seconds=10)
MAX_XML = 512000


class SamlError(Exception):
    def __init__(self, status, code, reason):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def _parse_time(value):
    text = value.strip().replace("Z", "+00:00")
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise SamlError(400, "invalid.time", "unparseable SAML time value %r" % value) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when


def decode_xml(b64_text):
    if not b64_text:
        raise SamlError(400, "missing.saml.response", "no SAML message was posted")
    try:
        raw = base64.b64decode("".join(b64_text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlError(400, "invalid.base64", "the SAML message is not valid base64") from None
    if len(raw) > MAX_XML:
        raise SamlError(413, "too.large", "the SAML message is too large")
    from lxml import etree  # imported on first use: keeps the emulator's start-up short
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError:  # pylint: disable=c-extension-no-member
        raise SamlError(400, "invalid.xml", "the SAML message is not well-formed XML") from None
    return raw, root


def _find_assertion(root):
    if root.tag == "{%s}Assertion" % NS["saml"]:
        return root
    found = root.find("saml:Assertion", NS)
    if found is None:
        if root.find("saml:EncryptedAssertion", NS) is not None:
            raise SamlError(400, "encrypted.assertion", "encrypted assertions are not supported (TLS is required instead)")
        raise SamlError(400, "missing.assertion", "the SAML message holds no Assertion")
    return found


def _issuer(root, assertion):
    for el in (assertion.find("saml:Issuer", NS), root.find("saml:Issuer", NS)):
        if el is not None and el.text:
            return el.text.strip()
    return None


def _attributes(assertion):
    attrs = {}
    for attr in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
        values = [(v.text or "").strip() for v in attr.iterfind("saml:AttributeValue", NS)]
        attrs[attr.get("Name")] = values
    return attrs


def _candidate_providers(org, issuer):
    out = []
    records = [(t, r) for t, r in org["providers"].items() if t != "purecloud"]
    records += [("custom", r) for r in org["custom"].values()]
    for ptype, rec in records:
        data = rec["data"]
        if data.get("disabled") is True:
            continue
        if (data.get("issuerURI") or "") != issuer:
            continue
        certs = []
        if data.get("certificate"):
            certs.append(data["certificate"])
        certs.extend(data.get("certificates") or [])
        out.append((ptype, rec, certs))
    return out


def verify(store, b64_text, expect_org=None, check_user=True):
    """Verify a base64 SAML Response or Assertion. Returns dict(org, email, provider, provider_id, service_name).

    Raises SamlError with status 400 (malformed), 403 (not trusted / not allowed) or 404 (unknown org).
    """
    raw, root = decode_xml(b64_text)
    assertion = _find_assertion(root)
    issuer = _issuer(root, assertion)
    if not issuer:
        raise SamlError(400, "missing.issuer", "the assertion has no Issuer")
    unverified = _attributes(assertion)
    org_names = unverified.get("OrganizationName") or []
    org_name = expect_org or (org_names[0] if org_names else None)
    if not org_name:
        raise SamlError(403, "missing.organization", "the assertion has no OrganizationName attribute")
    org = store.orgs.get(org_name)
    if org is None:
        raise SamlError(403, "unknown.organization", "no organization with the short name %r" % org_name)
    candidates = _candidate_providers(org, issuer)
    if not candidates:
        raise SamlError(403, "no.matching.provider",
                        "no enabled identity provider of org %s has the issuer %r" % (org_name, issuer))

    from signxml import XMLVerifier  # imported on first use
    from signxml.exceptions import InvalidInput, InvalidSignature

    verified = None
    chosen = None
    tried = 0
    for ptype, rec, certs in candidates:
        for cert in certs:
            try:
                pem = certificate_pem(cert)
            except ValidationError:
                continue
            tried += 1
            try:
                result = XMLVerifier().verify(raw, x509_cert=pem)
            except (InvalidSignature, InvalidInput, ValueError):
                continue
            except Exception:  # any other signxml/lxml failure also means "not verified"  # pylint: disable=broad-except
                continue
            verified = result.signed_xml
            chosen = (ptype, rec)
            break
        if verified is not None:
            break
    if verified is None:
        if tried == 0:
            raise SamlError(403, "no.certificate", "the matching provider has no usable certificate")
        raise SamlError(403, "invalid.signature",
                        "the signature does not verify against any certificate of the matching provider(s)")

    # From here on only the signed part is trusted.
    assertion = _find_assertion(verified)
    if _issuer(verified, assertion) != issuer:
        raise SamlError(403, "issuer.mismatch", "the signed assertion's Issuer differs from the message's")
    now = datetime.datetime.now(datetime.timezone.utc)
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is not None:
        if conditions.get("NotBefore") and now + SKEW < _parse_time(conditions.get("NotBefore")):
            raise SamlError(403, "assertion.not.yet.valid", "the assertion is not yet valid (NotBefore)")
        if conditions.get("NotOnOrAfter") and now - SKEW >= _parse_time(conditions.get("NotOnOrAfter")):
            raise SamlError(403, "assertion.expired", "the assertion has expired (NotOnOrAfter)")
    for scd in assertion.iterfind("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS):
        if scd.get("NotOnOrAfter") and now - SKEW >= _parse_time(scd.get("NotOnOrAfter")):
            raise SamlError(403, "assertion.expired", "the subject confirmation has expired (NotOnOrAfter)")
    ptype, rec = chosen
    rpi = rec["data"].get("relyingPartyIdentifier")
    if rpi:
        audiences = [(a.text or "").strip() for a in assertion.iterfind(
            "saml:Conditions/saml:AudienceRestriction/saml:Audience", NS)]
        if rpi not in audiences:
            raise SamlError(403, "audience.mismatch",
                            "the assertion's Audience %s does not match the provider's relyingPartyIdentifier" % (
                                audiences or "(none)"))
    attrs = _attributes(assertion)
    signed_org = (attrs.get("OrganizationName") or [None])[0]
    if signed_org != org["name"]:
        raise SamlError(403, "organization.mismatch",
                        "the signed OrganizationName %r is not the org short name %r" % (signed_org, org["name"]))
    email = (attrs.get("email") or [None])[0]
    if not email:
        name_id = assertion.find("saml:Subject/saml:NameID", NS)
        email = name_id.text.strip() if name_id is not None and name_id.text else None
    if not email:
        raise SamlError(403, "missing.email", "the assertion carries no email attribute")
    if check_user and email.lower() not in org["users"]:
        raise SamlError(403, "unknown.user", "no user with that email in org %s" % org["name"])
    return {
        "org": org["name"],
        "email": email,
        "provider": ptype,
        "provider_id": rec["id"],
        "provider_name": rec["data"].get("name"),
        "service_name": (attrs.get("ServiceName") or [None])[0],
    }
