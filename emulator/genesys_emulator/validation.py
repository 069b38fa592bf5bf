"""Identity-provider body validation with the real API's 400 codes (genesys-api.md section 2.1)."""

import base64
import binascii
import datetime
import re
from urllib.parse import urlsplit

from cryptography import x509

NAMEID_FORMATS = (
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
)

LOGO_MAX_BYTES = 25 * 1024

MESSAGES = {
    "missing.issuer.uri": "An issuer URI is required.",
    "invalid.target.url": "The target URL must be a valid HTTPS URL.",
    "certificate.invalid.base64": "The certificate is not valid base64.",
    "certificate.unparseable": "The certificate could not be parsed as an X.509 certificate.",
    "certificate.expired": "The certificate has expired.",
    "certificate.not.yet.valid": "The certificate is not yet valid.",
    "missing.provider.name": "A provider name is required.",
    "invalid.nameid.format": "The name identifier format is not valid.",
    "provider.logo.too.large": "The provider logo image is too large (limit 25 kb).",
}

_PEM_RE = re.compile(r"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----", re.S)
_B64_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


class ValidationError(Exception):
    def __init__(self, code, field=None):
        super().__init__(MESSAGES[code])
        self.code = code
        self.field = field
        self.message = MESSAGES[code]


def certificate_der(text):
    """Decode PEM, PEM-less (bare) base64 DER, with or without line breaks. Raises ValidationError."""
    if not isinstance(text, str):
        raise ValidationError("certificate.invalid.base64", "certificate")
    match = _PEM_RE.search(text)
    body = match.group(1) if match else text
    compact = re.sub(r"\s+", "", body)
    if not compact or not _B64_RE.match(compact) or len(compact) % 4:
        raise ValidationError("certificate.invalid.base64", "certificate")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("certificate.invalid.base64", "certificate") from None


def _der_header(buf, off):
    """(tag, header length, content length) of the DER element at ``off``. Raises ValueError."""
    if off + 2 > len(buf):
        raise ValueError("truncated")
    tag, first = buf[off], buf[off + 1]
    if first < 0x80:
        return tag, 2, first
    count = first & 0x7F
    if count == 0 or count > 4 or off + 2 + count > len(buf):
        raise ValueError("bad length")
    return tag, 2 + count, int.from_bytes(buf[off + 2:off + 2 + count], "big")


def _der_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def positive_serial_der(der):
    """``der`` with a zero or negative serial number replaced by 1, else ``der`` unchanged.

    RFC 5280 wants a positive serial, but real IdP certificates (Terraform's test certificate among them) carry
    serial 0 and the platform accepts them. cryptography warns on such a certificate (CryptographyDeprecationWarning)
    and a future release rejects it, so the validity check reads a copy whose serial is 1: only the serial and the
    enclosing lengths change (the signature over the original is not checked here; fingerprints use ``der``)."""
    try:
        tag, hdr, length = _der_header(der, 0)
        if tag != 0x30 or hdr + length != len(der):
            return der
        tbs_off = hdr
        tag, tbs_hdr, tbs_len = _der_header(der, tbs_off)
        if tag != 0x30:
            return der
        off = tbs_off + tbs_hdr
        tag, h, n = _der_header(der, off)
        if tag == 0xA0:  # [0] EXPLICIT version
            off += h + n
            tag, h, n = _der_header(der, off)
        if tag != 0x02 or n < 1:
            return der
        value = der[off + h:off + h + n]
        if value[0] < 0x80 and any(value):
            return der  # positive already
        tbs_end = tbs_off + tbs_hdr + tbs_len
        tbs_body = der[tbs_off + tbs_hdr:off] + b"\x02\x01\x01" + der[off + h + n:tbs_end]
        tbs = b"\x30" + _der_length(len(tbs_body)) + tbs_body
        body = tbs + der[tbs_end:]
        return b"\x30" + _der_length(len(body)) + body
    except (ValueError, IndexError):
        return der


def load_certificate(text):
    der = certificate_der(text)
    try:
        return x509.load_der_x509_certificate(positive_serial_der(der))
    except ValueError:
        raise ValidationError("certificate.unparseable", "certificate") from None


def check_certificate(text, field, now=None):
    try:
        cert = load_certificate(text)
    except ValidationError as err:
        err.field = field
        raise
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc < now:
        raise ValidationError("certificate.expired", field)
    if cert.not_valid_before_utc > now:
        raise ValidationError("certificate.not.yet.valid", field)
    return cert


def certificate_pem(text):
    der = certificate_der(text)
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def certificate_bare(text):
    """The certificate_echo=bare_base64 form: base64 DER on one line, no PEM armour."""
    return base64.b64encode(certificate_der(text)).decode("ascii")


def _is_https_url(value):
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() == "https" and bool(parts.hostname) and " " not in value


def validate_provider(ptype, data):
    """``data``: the written fields. ``ptype``: a {type} name or ``custom``. Raises ValidationError."""
    if ptype == "purecloud":
        return
    named = ptype in ("generic", "custom")
    if named and not (data.get("name") or "").strip():
        raise ValidationError("missing.provider.name", "name")
    if not (data.get("issuerURI") or "").strip():
        raise ValidationError("missing.issuer.uri", "issuerURI")
    target = data.get("ssoTargetURI")
    if target is not None and target != "" and not _is_https_url(target):
        raise ValidationError("invalid.target.url", "ssoTargetURI")
    if data.get("certificate"):
        check_certificate(data["certificate"], "certificate")
    for cert in data.get("certificates") or []:
        check_certificate(cert, "certificates")
    if named:
        fmt = data.get("nameIdentifierFormat")
        if fmt is not None and fmt not in NAMEID_FORMATS:
            raise ValidationError("invalid.nameid.format", "nameIdentifierFormat")
        logo = data.get("logoImageData")
        if logo is not None and len(logo.encode("utf-8")) > LOGO_MAX_BYTES:
            raise ValidationError("provider.logo.too.large", "logoImageData")
