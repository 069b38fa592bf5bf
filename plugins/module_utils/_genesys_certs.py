# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): X.509 certificate handling for SAML identity providers
(parsing, fingerprints, validity, the summaries results show).

Accepts every encoding a user (or the Genesys Cloud API) may hand us:

* PEM, one certificate or a bundle of several ``BEGIN CERTIFICATE`` blocks,
  with LF or CRLF line endings and any indentation;
* DER as base64, with or without PEM armour, on one line or wrapped;
* a path to a file holding PEM text or binary DER.

Everything is decoded to DER and parsed with ``cryptography``; certificates are
identified by the SHA-256 fingerprint of their DER, so two encodings of the
same certificate compare equal.

The API form of a certificate (what we send) is the bare base64 of the DER on
one line (:attr:`Certificate.b64`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import os
import re
import warnings

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError as _exc:  # pragma: no cover - depends on the host
    x509 = dsa = ec = rsa = None
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = _exc

try:
    from cryptography.hazmat.primitives.asymmetric import ed25519, ed448
except ImportError:  # pragma: no cover - old cryptography
    ed25519 = ed448 = None


UTC = datetime.timezone.utc

# Longest string we consider as a possible file path (longer ones are content).
_MAX_PATH_LEN = 4096
# Largest certificate file we read.
_MAX_FILE_SIZE = 1024 * 1024

_PEM_BLOCK_RE = re.compile(
    r'-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----',
    re.DOTALL,
)
_PEM_LINE_RE = re.compile(r'-----(BEGIN|END) [A-Z0-9 ]+-----')
_CERT_LABELS = ('CERTIFICATE', 'X509 CERTIFICATE')
_B64_RE = re.compile(r'^[A-Za-z0-9+/]*={0,2}$')

_CURVE_NAMES = {
    'secp256r1': 'P-256',
    'prime256v1': 'P-256',
    'secp384r1': 'P-384',
    'secp521r1': 'P-521',
    'secp224r1': 'P-224',
    'secp192r1': 'P-192',
}


class CertificateError(ValueError):
    """An input is not a usable certificate; the message names the input and why."""


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise CertificateError(
            'the "cryptography" Python library is required to handle certificates: {0}'.format(CRYPTOGRAPHY_IMPORT_ERROR))


def _utc(value):
    """Return an aware UTC datetime (``cryptography`` < 42 returns naive UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _now(now=None):
    if now is None:
        return datetime.datetime.now(UTC)
    return _utc(now)


def _iso(value):
    return value.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def _key_type(public_key):
    if rsa is not None and isinstance(public_key, rsa.RSAPublicKey):
        return 'RSA {0}'.format(public_key.key_size)
    if ec is not None and isinstance(public_key, ec.EllipticCurvePublicKey):
        name = public_key.curve.name
        return 'EC {0}'.format(_CURVE_NAMES.get(name, name))
    if ed25519 is not None and isinstance(public_key, ed25519.Ed25519PublicKey):
        return 'Ed25519'
    if ed448 is not None and isinstance(public_key, ed448.Ed448PublicKey):
        return 'Ed448'
    if dsa is not None and isinstance(public_key, dsa.DSAPublicKey):
        return 'DSA {0}'.format(public_key.key_size)
    return type(public_key).__name__


def _fingerprint(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


class Certificate:
    """One parsed X.509 certificate."""

    def __init__(self, der):
        _require_cryptography()
        der = bytes(der)
        try:
            with warnings.catch_warnings():
                # e.g. "Parsed a serial number which wasn't positive": real IdP
                # certificates (AD FS, Entra ID) have such serials; keep them usable.
                warnings.simplefilter('ignore')
                cert = x509.load_der_x509_certificate(der)
        except Exception as exc:
            raise CertificateError('not a valid X.509 certificate (DER parse failed: {0})'.format(exc))
        self._cert = cert
        self.der = der
        self.b64 = base64.b64encode(der).decode('ascii')
        self.fingerprint = _fingerprint(der)
        try:
            self.subject = cert.subject.rfc4514_string()
            self.issuer = cert.issuer.rfc4514_string()
        except Exception as exc:  # malformed name attributes
            raise CertificateError('certificate has an unreadable subject or issuer: {0}'.format(exc))
        if hasattr(cert, 'not_valid_before_utc'):
            self.not_before = _utc(cert.not_valid_before_utc)
            self.not_after = _utc(cert.not_valid_after_utc)
        else:  # pragma: no cover - cryptography < 42
            self.not_before = _utc(cert.not_valid_before)
            self.not_after = _utc(cert.not_valid_after)
        try:
            self.key_type = _key_type(cert.public_key())
        except Exception:  # unsupported key algorithm: still a certificate
            self.key_type = 'unknown'

    @property
    def pem(self):
        lines = [self.b64[i:i + 64] for i in range(0, len(self.b64), 64)]
        return '-----BEGIN CERTIFICATE-----\n' + '\n'.join(lines) + '\n-----END CERTIFICATE-----\n'

    @property
    def x509(self):
        """The underlying ``cryptography`` certificate object."""
        return self._cert

    def days_left(self, now=None):
        """Whole days until ``not_after`` (negative once expired)."""
        return (self.not_after - _now(now)).days

    def is_expired(self, now=None):
        return _now(now) > self.not_after

    def is_not_yet_valid(self, now=None):
        return _now(now) < self.not_before

    def summary(self, now=None):
        return dict(
            fingerprint=self.fingerprint,
            subject=self.subject,
            issuer=self.issuer,
            not_before=_iso(self.not_before),
            not_after=_iso(self.not_after),
            days_left=self.days_left(now),
            key_type=self.key_type,
        )

    def __eq__(self, other):
        return isinstance(other, Certificate) and other.fingerprint == self.fingerprint

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.fingerprint)

    def __repr__(self):
        return 'Certificate(subject={0!r}, fingerprint={1!r})'.format(self.subject, self.fingerprint)


def _b64decode(text):
    """Strict base64 decode of ``text`` after removing all whitespace."""
    compact = ''.join(text.split())
    if not compact:
        raise CertificateError('empty base64 content')
    if not _B64_RE.match(compact):
        bad = sorted(set(c for c in compact if not re.match(r'[A-Za-z0-9+/=]', c)))
        if bad:
            raise CertificateError('not PEM and not base64 (unexpected characters {0})'.format(
                ', '.join(repr(c) for c in bad[:5])))
        raise CertificateError('not valid base64 (misplaced "=" padding)')
    missing = (-len(compact)) % 4
    if missing == 3:
        raise CertificateError('not valid base64 (truncated: length {0})'.format(len(compact)))
    try:
        return base64.b64decode(compact + '=' * missing, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError('not valid base64 ({0})'.format(exc))


def _parse_text(text):
    """Parse PEM / armoured / bare base64 text into a list of certificates."""
    if text.startswith('\ufeff'):
        text = text[1:]
    # Values copied from JSON sometimes carry literal "\n" sequences.
    if '\\n' in text or '\\r' in text:
        text = text.replace('\\r', '').replace('\\n', '\n')
    if '-----BEGIN' in text:
        blocks = _PEM_BLOCK_RE.findall(text)
        if not blocks:
            raise CertificateError('PEM armour is broken (no matching BEGIN/END CERTIFICATE lines)')
        certs = []
        others = []
        for number, (label, body) in enumerate(blocks, start=1):
            if label not in _CERT_LABELS:
                others.append(label)
                continue
            # Drop optional RFC 1421 headers ("Name: value" lines), keep base64 lines.
            lines = [line.strip() for line in body.strip().splitlines()]
            lines = [line for line in lines if line and ':' not in line]
            try:
                certs.append(Certificate(_b64decode('\n'.join(lines))))
            except CertificateError as exc:
                raise CertificateError('PEM block {0}: {1}'.format(number, exc))
        if any('PRIVATE KEY' in label for label in others):
            raise CertificateError('contains a private key; give only the certificate(s)')
        if not certs:
            raise CertificateError('PEM text holds no CERTIFICATE block (found: {0})'.format(', '.join(others)))
        return certs
    if '-----END' in text:
        raise CertificateError('PEM armour is broken (END line without BEGIN line)')
    return [Certificate(_b64decode(text))]


def _parse_bytes(data):
    """Parse file content: binary DER or PEM / base64 text."""
    if not data.strip():
        raise CertificateError('file is empty')
    if data[:1] == b'\x30':
        try:
            return [Certificate(data)]
        except CertificateError:
            pass
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        raise CertificateError('binary content that is not a DER certificate')
    return _parse_text(text)


def _candidate_path(value, base_dir):
    """Return the file path ``value`` names, or None when it is not an existing file."""
    stripped = value.strip()
    if not stripped or len(stripped) > _MAX_PATH_LEN or '\n' in stripped or '-----' in stripped:
        return None
    path = os.path.expanduser(stripped)
    if not os.path.isabs(path) and base_dir:
        path = os.path.join(base_dir, path)
    if os.path.isfile(path):
        return path
    return None


def _looks_like_path(value):
    stripped = value.strip()
    return ('/' in stripped or '\\' in stripped) and ' ' not in stripped and (
        stripped.startswith(('/', '~', './', '../')) or re.search(r'\.(pem|crt|cer|der|cert)$', stripped, re.I))


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load_certificates(value, base_dir=None):
    """Parse user-supplied certificates.

    ``value`` is a string or a list of strings; each string is PEM (one or a
    bundle), DER base64 with or without armour, bare base64 (any whitespace),
    or the path of a file holding PEM or binary DER (relative paths are
    resolved against ``base_dir`` when given).  Returns a flat list of
    :class:`Certificate` in input order.  Raises :class:`CertificateError`
    naming the failing input (``certificates[i]``, and the file) and why.
    """
    _require_cryptography()
    items = _as_list(value)
    certs = []
    for index, item in enumerate(items):
        label = 'certificates[{0}]'.format(index) if isinstance(value, (list, tuple)) else 'certificate'
        if isinstance(item, Certificate):
            certs.append(item)
            continue
        if isinstance(item, bytes):
            try:
                certs.extend(_parse_bytes(item))
            except CertificateError as exc:
                raise CertificateError('{0}: {1}'.format(label, exc))
            continue
        if not isinstance(item, str):
            raise CertificateError('{0}: expected a string (PEM, base64 or file path), got {1}'.format(
                label, type(item).__name__))
        if not item.strip():
            raise CertificateError('{0}: empty value'.format(label))
        path = _candidate_path(item, base_dir)
        if path is not None:
            try:
                if os.path.getsize(path) > _MAX_FILE_SIZE:
                    raise CertificateError('file is larger than {0} bytes'.format(_MAX_FILE_SIZE))
                with open(path, 'rb') as handle:
                    data = handle.read()
                certs.extend(_parse_bytes(data))
            except (IOError, OSError) as exc:
                raise CertificateError('{0} (file {1}): cannot read: {2}'.format(label, path, exc))
            except CertificateError as exc:
                raise CertificateError('{0} (file {1}): {2}'.format(label, path, exc))
            continue
        try:
            certs.extend(_parse_text(item))
        except CertificateError as exc:
            if _looks_like_path(item):
                raise CertificateError('{0}: no such file {1!r} (and not PEM or base64 either)'.format(label, item.strip()))
            raise CertificateError('{0}: {1}'.format(label, exc))
    return certs


def parse_api_certificate(s):
    """Parse a certificate string read back from the API; None when unparseable.

    Never reads files: API values are content, not paths.
    """
    if not HAS_CRYPTOGRAPHY or not isinstance(s, str) or not s.strip():
        return None
    try:
        certs = _parse_text(s)
    except CertificateError:
        return None
    return certs[0] if certs else None


def _raw_key(text):
    compact = _PEM_LINE_RE.sub('', text)
    return 'raw:' + ''.join(compact.replace('\\n', '').replace('\\r', '').split())


def fingerprint_set(values):
    """Order-free identity of a set of certificates.

    ``values``: None, a string, a :class:`Certificate`, or a list of those.
    Each string may hold several PEM blocks.  Unparseable strings are kept
    as ``'raw:<text without armour and whitespace>'`` so they still compare.
    Never reads files.
    """
    result = set()
    for item in _as_list(values):
        if isinstance(item, Certificate):
            result.add(item.fingerprint)
            continue
        if item is None:
            continue
        if isinstance(item, bytes):
            item = item.decode('utf-8', 'replace')
        if not isinstance(item, str):
            item = str(item)
        if not item.strip():
            continue
        certs = None
        if HAS_CRYPTOGRAPHY:
            try:
                certs = _parse_text(item)
            except CertificateError:
                certs = None
        if certs:
            result.update(cert.fingerprint for cert in certs)
        else:
            result.add(_raw_key(item))
    return frozenset(result)


def check_validity(certs, allow_expired=False, warn_days=30, now=None):
    """Check the validity period of ``certs``.

    Returns a list of warning strings (expiring within ``warn_days`` days, and
    expired / not-yet-valid ones when ``allow_expired``).  Raises
    :class:`CertificateError` listing every expired or not-yet-valid
    certificate unless ``allow_expired`` is true.
    """
    now = _now(now)
    warnings = []
    errors = []
    for cert in certs:
        if cert.is_expired(now):
            problem = 'certificate "{0}" (SHA-256 {1}) expired on {2}'.format(
                cert.subject, cert.fingerprint, _iso(cert.not_after))
            (warnings if allow_expired else errors).append(problem)
        elif cert.is_not_yet_valid(now):
            problem = 'certificate "{0}" (SHA-256 {1}) is not valid before {2}'.format(
                cert.subject, cert.fingerprint, _iso(cert.not_before))
            (warnings if allow_expired else errors).append(problem)
        elif warn_days is not None and cert.days_left(now) <= warn_days:
            warnings.append('certificate "{0}" (SHA-256 {1}) expires on {2}, in {3} day(s): plan its rotation'.format(
                cert.subject, cert.fingerprint, _iso(cert.not_after), cert.days_left(now)))
    if errors:
        raise CertificateError(
            '; '.join(errors) + '. The identity provider would reject sign-ins with such a certificate; '
            'give a currently valid one, or set allow_expired_certificates=true to accept it anyway.')
    return warnings
