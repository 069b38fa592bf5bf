"""SAML response / assertion verification for the ACS (POST /saml) and the SAML2-bearer grant.

The emulator behaves like a correct service provider (checked against pysaml2 as an independent IdP in
``emulator/tests/test_saml_conformance.py``). In the order the checks run:

1. The message is base64 XML (``missing.saml.response``, ``invalid.base64``, ``too.large``, ``invalid.xml``).
2. A ``samlp:Response`` whose top-level ``StatusCode`` is not ``...:status:Success`` is refused
   (``status.not.success``, the reason quotes the status codes and the message).
3. A ``Destination`` on the Response must be this emulator's ACS URL (``destination.mismatch``; for the grant
   the token URL too).
4. Structure (signature wrapping): exactly one ``saml:Assertion`` in the whole document, and in a Response
   it is a direct child (``multiple.assertions``, ``assertion.misplaced``); no ``ID`` value twice
   (``duplicate.id``); every ``ds:Signature`` is enveloped directly in the Response or in that Assertion
   (``signature.misplaced``) and references its own parent (``signature.reference.mismatch``). So the element
   the signature covers is always the Response or the one assertion read afterwards.
5. Algorithms: RSA/ECDSA with SHA-1/2 only (HMAC and anything else: ``unsupported.signature.algorithm``, so no
   key confusion with the certificate). SHA-1 (signature method or a digest): see :func:`sha1_policy`; when
   refused, ``signature.sha1.refused``.
6. Every enabled provider of the org with the assertion's Issuer is a candidate (several integrations of one
   IdP share issuer and certificate, e.g. ADFS / PingFederate serving several relying parties). For each, each
   configured certificate is tried; a candidate is chosen only when its certificate verifies *and* its
   Audience rule (below) holds. When no candidate is chosen the most telling failure is given, one code each:
   ``missing.signature`` (nothing signed), ``malformed.signature`` (no SignedInfo/SignatureValue, bad
   base64, unknown algorithm...), ``invalid.digest`` (the signature is the IdP's, the signed content was
   changed), ``certificate.expired`` (verifies only with a configured certificate that has expired or is not
   yet valid: Genesys keeps an integration working only through a certificate that is still valid),
   ``invalid.signature`` (wrong key: verifies against no configured certificate), ``audience.mismatch``.
7. Audience, always checked: the provider's audience is its ``relyingPartyIdentifier``; when that is empty,
   the ACS URL (the region's ``https://login.<domain>/saml``, what older Okta articles use as Audience URI;
   for the SAML2-bearer grant also the token URL, the authorization server of RFC 7522).
   Every ``AudienceRestriction`` must name it (SAML core 2.5.1.4). An assertion without any
   ``AudienceRestriction`` is refused when ``relyingPartyIdentifier`` is set (the IdP was told an audience
   and did not send it) and accepted when it is empty (SAML core: no restriction; nothing to compare with).
8. Only the signed element is read from here on: Issuer, NotBefore/NotOnOrAfter with 10 s skew, the
   bearer ``SubjectConfirmationData`` ``Recipient`` (when present: the ACS URL; for the grant also the
   token URL; ``recipient.mismatch``), OrganizationName, email, user.
9. Replay (ACS only): an assertion ID (and Response ID) already accepted is refused until it expires
   (``replayed.response``). The SAML2-bearer grant does not refuse a re-used assertion (RFC 7522 makes it
   optional, and the token module may repeat a request after a transport error).
"""

import base64
import binascii
import datetime
import os
import threading
import weakref

from .validation import ValidationError, certificate_pem, load_certificate

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
ASSERTION_TAG = "{%s}Assertion" % NS["saml"]
RESPONSE_TAG = "{%s}Response" % NS["samlp"]
SIGNATURE_TAG = "{%s}Signature" % NS["ds"]
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
SKEW = datetime.timedelta(seconds=10)
MAX_XML = 512000
REPLAY_DEFAULT_TTL = datetime.timedelta(hours=1)
REPLAY_MAX_ENTRIES = 100000

SHA1_ENV = "GENESYS_EMULATOR_SAML_SHA1"
SHA1_CHOICES = ("accept", "refuse")
# None: read GENESYS_EMULATOR_SAML_SHA1 (default "accept"). A variant sets this with set_sha1_policy().
SETTINGS = {"sha1": None}

_RSA = "http://www.w3.org/2001/04/xmldsig-more#rsa-"
_ECDSA = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-"
SHA1_SIGNATURE_METHODS = frozenset([
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1", _ECDSA + "sha1", "http://www.w3.org/2000/09/xmldsig#dsa-sha1"])
SIGNATURE_METHODS = frozenset([_RSA + h for h in ("sha224", "sha256", "sha384", "sha512")]
                              + [_ECDSA + h for h in ("sha224", "sha256", "sha384", "sha512")]
                              + ["http://www.w3.org/2009/xmldsig11#dsa-sha256"]) | SHA1_SIGNATURE_METHODS
SHA1_DIGESTS = frozenset(["http://www.w3.org/2000/09/xmldsig#sha1"])
DIGESTS = frozenset(["http://www.w3.org/2001/04/xmldsig-more#sha224", "http://www.w3.org/2001/04/xmlenc#sha256",
                     "http://www.w3.org/2001/04/xmldsig-more#sha384", "http://www.w3.org/2001/04/xmlenc#sha512"]
                    ) | SHA1_DIGESTS


class SamlError(Exception):
    def __init__(self, status, code, reason):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def sha1_policy():
    """What the emulator does with RSA-SHA1 / SHA-1 digests: ``accept`` (default) or ``refuse``.

    Decision: accept. No Genesys Cloud source (help articles for ADFS, Okta, generic, Ping; the API; Terraform)
    says SHA-1 signatures are refused, while ADFS, Okta and Entra still offer them; the one hint the other way is
    the Ping article's setup table ("Signing Algorithm: Select RSA_SHA256", PingOne's default anyway), an
    instruction rather than a statement that anything else fails. The opposite (``refuse``) is a variant:
    ``GENESYS_EMULATOR_SAML_SHA1`` in the emulator's environment or :func:`set_sha1_policy`
    (``--variant saml_sha1=refuse``); either way SHA-1 has its own code, never "does not verify".
    """
    value = SETTINGS["sha1"] or os.environ.get(SHA1_ENV) or "accept"
    value = value.strip().lower()
    if value not in SHA1_CHOICES:
        raise SamlError(500, "emulator.misconfigured", "%s must be accept or refuse, not %r" % (SHA1_ENV, value))
    return value


def set_sha1_policy(value):
    """Set the SHA-1 policy at run time (``accept``, ``refuse`` or None for the environment/default)."""
    if value is not None and str(value).strip().lower() not in SHA1_CHOICES:
        raise ValueError("saml_sha1 must be accept or refuse, not %r" % (value,))
    SETTINGS["sha1"] = None if value is None else str(value).strip().lower()


def endpoint_urls(request):
    """(ACS URL, token URL) of this emulator as the client addressed it (scheme and Host of the request)."""
    scope = request.scope
    scheme = scope.get("scheme") or "https"
    host = request.headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else "%s:%s" % server
    base = "%s://%s" % (scheme, host)
    return base + "/saml", base + "/oauth/token"


def _norm_url(value):
    text = (value or "").strip()
    if "://" in text:
        scheme, rest = text.split("://", 1)
        host, sep, path = rest.partition("/")
        text = scheme.lower() + "://" + host.lower() + sep + path
    return text.rstrip("/")


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


def _check_status(root):
    if root.tag != RESPONSE_TAG:
        return
    top = root.find("samlp:Status/samlp:StatusCode", NS)
    value = top.get("Value") if top is not None else None
    if value == STATUS_SUCCESS:
        return
    codes = []
    node = top
    while node is not None:
        codes.append(node.get("Value") or "(no Value)")
        node = node.find("samlp:StatusCode", NS)
    message = (root.findtext("samlp:Status/samlp:StatusMessage", namespaces=NS) or "").strip()
    raise SamlError(403, "status.not.success",
                    "the IdP answered status %s%s instead of Success: the IdP refused the sign-in, look there" % (
                        " / ".join(codes) if codes else "(none)",
                        (" (%s)" % message[:200]) if message else ""))


def _find_assertion(root):
    """The one assertion of the message (signature-wrapping checks included)."""
    if root.find(".//saml:EncryptedAssertion", NS) is not None:
        raise SamlError(400, "encrypted.assertion", "encrypted assertions are not supported (TLS is required instead)")
    found = [el for el in root.iter(ASSERTION_TAG)]
    if not found:
        raise SamlError(400, "missing.assertion", "the SAML message holds no Assertion")
    if len(found) > 1:
        raise SamlError(403, "multiple.assertions",
                        "the SAML message holds %d Assertion elements; exactly one is accepted "
                        "(extra assertions are how signature wrapping hides a forged identity)" % len(found))
    assertion = found[0]
    if assertion is not root and (root.tag != RESPONSE_TAG or assertion.getparent() is not root):
        raise SamlError(403, "assertion.misplaced",
                        "the Assertion is not a direct child of the samlp:Response (it sits in %s)" % (
                            assertion.getparent().tag))
    return assertion


def _check_ids(root):
    seen = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in ("ID", "Id", "id"):
            value = el.get(name)
            if value is None:
                continue
            if value in seen:
                raise SamlError(403, "duplicate.id",
                                "the ID %r appears twice in the SAML message (signature wrapping)" % value[:80])
            seen.add(value)


def _signature(root, assertion):
    """The ds:Signature the verifier uses (first in document order), after the placement checks."""
    sigs = [el for el in root.iter(SIGNATURE_TAG)]
    if not sigs:
        raise SamlError(403, "missing.signature",
                        "neither the Response nor the Assertion is signed: the IdP must sign the assertion "
                        "or the response")
    for sig in sigs:
        if sig.getparent() is not root and sig.getparent() is not assertion:
            raise SamlError(403, "signature.misplaced",
                            "a ds:Signature sits inside %s, not directly in the Response or the Assertion "
                            "(signature wrapping)" % sig.getparent().tag)
    sig = sigs[0]
    parent = sig.getparent()
    refs = sig.findall("ds:SignedInfo/ds:Reference", NS)
    if len(refs) != 1:
        raise SamlError(403, "malformed.signature",
                        "the signature holds %d References; exactly one (the signed element) is expected" % len(refs))
    uri = refs[0].get("URI") or ""
    own_id = parent.get("ID") or ""
    if uri != "" and (not own_id or uri != "#" + own_id):
        raise SamlError(403, "signature.reference.mismatch",
                        "the signature of %s references %r, not its own ID %r (signature wrapping)" % (
                            parent.tag.split("}")[-1], uri[:80], own_id[:80]))
    return sig, parent


def _check_algorithms(sig):
    method_el = sig.find("ds:SignedInfo/ds:SignatureMethod", NS)
    if method_el is None or sig.find("ds:SignatureValue", NS) is None:
        raise SamlError(403, "malformed.signature", "the signature has no SignatureMethod or no SignatureValue")
    method = method_el.get("Algorithm") or ""
    digests = [d.get("Algorithm") or "" for d in sig.findall("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)]
    if method not in SIGNATURE_METHODS:
        raise SamlError(403, "unsupported.signature.algorithm",
                        "the signature method %r is not accepted (RSA or ECDSA with SHA-256 is expected)"
                        % method[:120])
    for digest in digests:
        if digest not in DIGESTS:
            raise SamlError(403, "unsupported.signature.algorithm",
                            "the digest method %r is not accepted (SHA-256 is expected)" % digest[:120])
    sha1 = method in SHA1_SIGNATURE_METHODS or any(d in SHA1_DIGESTS for d in digests)
    if sha1 and sha1_policy() == "refuse":
        raise SamlError(403, "signature.sha1.refused",
                        "the IdP signed with SHA-1 (%s): switch the IdP's signing algorithm to RSA-SHA256" % (
                            method.rsplit("#", 1)[-1]))
    return sha1


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
        certs.extend(c for c in (data.get("certificates") or []) if c not in certs)
        out.append((ptype, rec, certs))
    return out


def _audience_problem(rec, assertion, acs_url, token_url=None):
    """None when the provider's audience rule holds for this assertion, else the reason."""
    rpi = (rec["data"].get("relyingPartyIdentifier") or "").strip()
    restrictions = assertion.findall("saml:Conditions/saml:AudienceRestriction", NS)
    audiences = [[(a.text or "").strip() for a in r.findall("saml:Audience", NS)] for r in restrictions]
    shown = sorted({a for group in audiences for a in group}) or "(none)"
    name = rec["data"].get("name") or rec["id"]
    if rpi:
        if not restrictions:
            return ("the assertion has no Audience; provider %r expects its relyingPartyIdentifier %r" % (name, rpi))
        if all(rpi in group for group in audiences):
            return None
        return ("the assertion's Audience %s does not match the relyingPartyIdentifier %r of provider %r" % (
            shown, rpi, name))
    if not restrictions:
        return None
    if acs_url is None:
        return ("provider %r has no relyingPartyIdentifier, so the Audience %s cannot be checked: set "
                "relyingPartyIdentifier to the IdP's Audience" % (name, shown))
    wanted = {_norm_url(u) for u in (acs_url, token_url) if u}
    if all(any(_norm_url(a) in wanted for a in group) for group in audiences):
        return None
    return ("the assertion's Audience %s is not the ACS URL %s%s, the audience of provider %r while its "
            "relyingPartyIdentifier is empty: set relyingPartyIdentifier to the IdP's Audience"
            % (shown, acs_url, (" (or the token URL %s)" % token_url) if token_url else "", name))


def _cert_validity(pem):
    try:
        cert = load_certificate(pem)
    except ValidationError:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc < now:
        return "expired on %s" % cert.not_valid_after_utc.isoformat()
    if cert.not_valid_before_utc > now:
        return "not valid before %s" % cert.not_valid_before_utc.isoformat()
    return None


def _verify_with(raw, pem, sha1, at=None):
    """('ok', VerifyResult) or (failure kind, detail) for one certificate."""
    from signxml import SignatureConfiguration, SignatureMethod, DigestAlgorithm, XMLVerifier  # first use only
    from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
    config = {"location": ".//", "expect_references": 1}
    if sha1:
        config["signature_methods"] = frozenset(SignatureMethod)
        config["digest_algorithms"] = frozenset(DigestAlgorithm)
    if at is not None:
        config["verification_time"] = at
    try:
        result = XMLVerifier().verify(raw, x509_cert=pem, expect_config=SignatureConfiguration(**config))
    except InvalidDigest:
        return "digest", None
    except InvalidCertificate as exc:
        return "certificate", str(exc)
    except InvalidSignature:
        return "key", None
    except InvalidInput as exc:
        if "does not match specified signature algorithm" in str(exc):  # e.g. an EC certificate, an RSA signature
            return "key", None
        return "malformed", str(exc)[:200]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        return "malformed", str(exc)[:200]
    except Exception as exc:  # any other signxml/lxml failure: unreadable  # pylint: disable=broad-except
        return "malformed", type(exc).__name__
    return "ok", result


# Replay cache: per Store (so every emulator process / test store has its own), id -> expiry.
_SEEN = weakref.WeakKeyDictionary()
_SEEN_LOCK = threading.Lock()


def _seen_ids(store):
    with _SEEN_LOCK:
        try:
            return _SEEN.setdefault(store, {})
        except TypeError:  # a store that cannot be weakly referenced: keep it on the object
            cache = getattr(store, "_saml_seen_ids", None)
            if cache is None:
                cache = {}
                setattr(store, "_saml_seen_ids", cache)
            return cache


def _check_replay(store, ids, expires):
    seen = _seen_ids(store)
    now = datetime.datetime.now(datetime.timezone.utc)
    for key in [k for k, until in seen.items() if until <= now]:
        del seen[key]
    for value in ids:
        if value and value in seen:
            raise SamlError(403, "replayed.response",
                            "this SAML response (ID %r) was already used to sign in: the IdP must send a new one"
                            % value[:80])
    if len(seen) >= REPLAY_MAX_ENTRIES:
        for key in sorted(seen, key=seen.get)[:len(seen) - REPLAY_MAX_ENTRIES + 1]:
            del seen[key]
    for value in ids:
        if value:
            seen[value] = expires


def verify(store, b64_text, expect_org=None, check_user=True, acs_url=None, token_url=None, replay=None):
    """Verify a base64 SAML Response or Assertion. Returns dict(org, email, provider, provider_id, service_name).

    ``acs_url``: this emulator's ACS URL (Destination, Recipient and the audience of a provider without
    relyingPartyIdentifier); None skips the Destination/Recipient checks. ``token_url``: for the SAML2-bearer
    grant, also accepted as Recipient. ``replay``: refuse an ID already accepted (default: on for the ACS, i.e.
    when no ``token_url`` is given).

    Raises SamlError with status 400 (malformed), 403 (not trusted / not allowed) or 404 (unknown org).
    """
    raw, root = decode_xml(b64_text)
    _check_status(root)
    if root.tag == RESPONSE_TAG and root.get("Destination") is not None and acs_url is not None:
        if _norm_url(root.get("Destination")) not in {_norm_url(u) for u in (acs_url, token_url) if u}:
            raise SamlError(403, "destination.mismatch",
                            "the Response's Destination %r is not this ACS URL %r%s: enter %s as the IdP's ACS / "
                            "single sign-on URL" % (root.get("Destination")[:200], acs_url,
                                                    (" (nor the token URL %r)" % token_url) if token_url else "",
                                                    acs_url))
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

    _check_ids(root)
    sig, signed_parent = _signature(root, assertion)
    sha1 = _check_algorithms(sig)

    chosen = None
    verified = None
    failures = {}
    cache = {}
    for ptype, rec, certs in candidates:
        for cert in certs:
            try:
                pem = certificate_pem(cert)
                load_certificate(pem)
            except ValidationError:  # not a certificate (a seed can hold anything): not a key to try
                failures.setdefault("unusable", rec)
                continue
            if pem not in cache:
                cache[pem] = _verify_with(raw, pem, sha1)
                if cache[pem][0] == "certificate":
                    # would it verify inside the certificate's validity? then the certificate is the reason
                    cert_obj = load_certificate(pem)
                    kind, _ = _verify_with(raw, pem, sha1, at=cert_obj.not_valid_before_utc + (
                        cert_obj.not_valid_after_utc - cert_obj.not_valid_before_utc) / 2)
                    cache[pem] = ("expired", _cert_validity(pem) or "outside its validity") if kind == "ok" \
                        else (kind, None)
            kind, detail = cache[pem]
            if kind != "ok":
                failures.setdefault(kind, (rec, detail))
                continue
            signed = detail.signed_xml
            signed_assertion = None if signed is None else (
                signed if signed.tag == ASSERTION_TAG else signed.find("saml:Assertion", NS))
            if signed_assertion is None:
                failures.setdefault("malformed", (rec, "the signed element holds no Assertion"))
                continue
            problem = _audience_problem(rec, signed_assertion, acs_url, token_url)
            if problem:
                failures.setdefault("audience", (rec, problem))
                continue
            chosen = (ptype, rec)
            verified = (signed, signed_assertion)
            break
        if chosen is not None:
            break
    if chosen is None:
        _raise_verification_failure(failures, candidates)

    signed, assertion = verified
    if (signed.get("ID") or "") != (signed_parent.get("ID") or ""):
        raise SamlError(403, "signature.reference.mismatch", "the verified element is not the one the message carries")
    # From here on only the signed part is trusted.
    if _issuer(signed if signed.tag == RESPONSE_TAG else assertion, assertion) != issuer:
        raise SamlError(403, "issuer.mismatch", "the signed assertion's Issuer differs from the message's")
    response_issuer = root.findtext("saml:Issuer", namespaces=NS) if root.tag == RESPONSE_TAG else None
    if response_issuer and response_issuer.strip() != issuer:
        raise SamlError(403, "issuer.mismatch", "the Response's Issuer %r differs from the assertion's %r" % (
            response_issuer.strip()[:200], issuer[:200]))
    now = datetime.datetime.now(datetime.timezone.utc)
    expiries = []
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is not None:
        if conditions.get("NotBefore") and now + SKEW < _parse_time(conditions.get("NotBefore")):
            raise SamlError(403, "assertion.not.yet.valid", "the assertion is not yet valid (NotBefore)")
        if conditions.get("NotOnOrAfter"):
            expiries.append(_parse_time(conditions.get("NotOnOrAfter")))
            if now - SKEW >= expiries[-1]:
                raise SamlError(403, "assertion.expired", "the assertion has expired (NotOnOrAfter)")
    allowed_recipients = {_norm_url(u) for u in (acs_url, token_url) if u}
    for scd in assertion.iterfind("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS):
        if scd.get("NotOnOrAfter"):
            expiries.append(_parse_time(scd.get("NotOnOrAfter")))
            if now - SKEW >= expiries[-1]:
                raise SamlError(403, "assertion.expired", "the subject confirmation has expired (NotOnOrAfter)")
        recipient = scd.get("Recipient")
        if recipient is not None and allowed_recipients and _norm_url(recipient) not in allowed_recipients:
            raise SamlError(403, "recipient.mismatch",
                            "the subject confirmation's Recipient %r is not %s: enter that as the IdP's ACS / "
                            "single sign-on URL" % (recipient[:200], " or ".join(sorted(u for u in (acs_url, token_url)
                                                                                          if u))))
    ptype, rec = chosen
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
    if replay is None:
        replay = token_url is None
    if replay:
        ids = [assertion.get("ID")]
        if root.tag == RESPONSE_TAG:
            ids.append(root.get("ID"))
        until = (min(expiries) if expiries else now + REPLAY_DEFAULT_TTL) + SKEW
        _check_replay(store, ids, until)
    return {
        "org": org["name"],
        "email": email,
        "provider": ptype,
        "provider_id": rec["id"],
        "provider_name": rec["data"].get("name"),
        "service_name": (attrs.get("ServiceName") or [None])[0],
    }


def _raise_verification_failure(failures, candidates):
    names = ", ".join(sorted({str(rec["data"].get("name") or rec["id"]) for _, rec, _ in candidates}))
    if "audience" in failures:
        raise SamlError(403, "audience.mismatch", failures["audience"][1])
    if "digest" in failures:
        raise SamlError(403, "invalid.digest",
                        "the signature is the IdP's but the signed content was changed after signing (digest "
                        "mismatch): the message was altered on the way")
    if "expired" in failures:
        rec, detail = failures["expired"]
        raise SamlError(403, "certificate.expired",
                        "the signature verifies only with a certificate of provider %r that is %s: add the IdP's "
                        "current signing certificate to the provider" % (rec["data"].get("name") or rec["id"], detail))
    if "key" in failures:
        raise SamlError(403, "invalid.signature",
                        "the signature does not verify against any certificate of the matching provider(s) (%s): "
                        "the IdP signs with another key; add its current signing certificate" % names)
    if "malformed" in failures:
        raise SamlError(403, "malformed.signature", "the signature cannot be read: %s" % failures["malformed"][1])
    if "certificate" in failures:
        raise SamlError(403, "malformed.signature", "the signature cannot be checked: %s" % failures["certificate"][1])
    raise SamlError(403, "no.certificate", "the matching provider(s) (%s) have no usable certificate" % names)
