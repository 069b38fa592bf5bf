"""The one test certificate factory: self-signed, RSA or EC, a validity window, a CN; PEM, DER or bare base64.

``make_certificate(cn, key_type='ec', not_before_days=-1, days=365)`` -> :class:`TestCertificate` with ``pem``,
``key_pem``, ``der``, ``b64`` (the bare base64 of the DER: what Genesys Cloud stores and the seeds hold), ``cert``
(the ``cryptography`` object). ``bare(pem)`` turns a PEM into the bare base64. These are IdP signing certificates
of tests: never a server's (the emulator makes its own CA and server certificate).
"""

import base64
import datetime

KEY_TYPES = ('ec', 'rsa')


class TestCertificate:
    __test__ = False  # not a pytest test class

    def __init__(self, cert, key):
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel

        self.cert = cert
        self.pem = cert.public_bytes(serialization.Encoding.PEM).decode('ascii')
        self.der = cert.public_bytes(serialization.Encoding.DER)
        self.b64 = base64.b64encode(self.der).decode('ascii')
        self.key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode('ascii')

    def __repr__(self):
        return '<TestCertificate %s>' % self.cert.subject.rfc4514_string()


def make_certificate(cn='idp.example', key_type='ec', not_before_days=-1, days=365, rsa_bits=2048):
    """A self-signed certificate valid from now+``not_before_days`` to now+``days`` (days may be negative:
    an expired one)."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    if key_type not in KEY_TYPES:
        raise ValueError('key_type must be one of %s, not %r' % (', '.join(KEY_TYPES), key_type))
    if days <= not_before_days:
        raise ValueError('the validity window is empty: not_before_days=%s, days=%s' % (not_before_days, days))
    key = ec.generate_private_key(ec.SECP256R1()) if key_type == 'ec' else rsa.generate_private_key(65537, rsa_bits)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=not_before_days))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return TestCertificate(cert, key)


def bare(pem):
    """The bare base64 (one line, no armour) of a PEM certificate."""
    return ''.join(line.strip() for line in pem.strip().splitlines() if not line.startswith('-----'))
