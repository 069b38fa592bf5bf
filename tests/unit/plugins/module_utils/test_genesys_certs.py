# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_genesys_certs.py (certificates generated here)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import hashlib
import re

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import (
    HAS_CRYPTOGRAPHY,
    Certificate,
    CertificateError,
    check_validity,
    fingerprint_set,
    load_certificates,
    parse_api_certificate,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def _make_cert(cn, key, not_before, not_after, issuer_cn=None):
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Acme IdP'),
    ])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    return builder.sign(key, hashes.SHA256())


@pytest.fixture(scope='module')
def keys():
    return dict(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec256=ec.generate_private_key(ec.SECP256R1()),
        ec384=ec.generate_private_key(ec.SECP384R1()),
    )


@pytest.fixture(scope='module')
def certs(keys):
    day = datetime.timedelta(days=1)
    return dict(
        rsa=_make_cert(u'idp-rsa.example.com', keys['rsa'], NOW - 30 * day, NOW + 365 * day, issuer_cn=u'Acme Root CA'),
        ec=_make_cert(u'idp-ec.example.com', keys['ec256'], NOW - 30 * day, NOW + 700 * day),
        ec384=_make_cert(u'idp-ec384.example.com', keys['ec384'], NOW - 30 * day, NOW + 700 * day),
        expired=_make_cert(u'old.example.com', keys['rsa'], NOW - 400 * day, NOW - 5 * day),
        future=_make_cert(u'future.example.com', keys['ec256'], NOW + 3 * day, NOW + 400 * day),
        soon=_make_cert(u'soon.example.com', keys['ec256'], NOW - 300 * day, NOW + 10 * day),
    )


def _der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def _sha256(cert):
    digest = hashlib.sha256(_der(cert)).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, 64, 2))


def _b64(cert):
    return base64.b64encode(_der(cert)).decode('ascii')


def _encodings(cert, tmp_path):
    """Every supported encoding of one certificate."""
    b64 = _b64(cert)
    wrapped = '\n'.join(b64[i:i + 64] for i in range(0, len(b64), 64))
    pem = _pem(cert)
    pem_file = tmp_path / 'cert.pem'
    pem_file.write_text(pem)
    der_file = tmp_path / 'cert.der'
    der_file.write_bytes(_der(cert))
    return dict(
        pem=pem,
        pem_crlf=pem.replace('\n', '\r\n'),
        pem_indented='\n'.join('        ' + line for line in pem.splitlines()),
        armoured_one_line='-----BEGIN CERTIFICATE-----' + b64 + '-----END CERTIFICATE-----',
        bare_b64=b64,
        bare_b64_wrapped_64=wrapped,
        bare_b64_wrapped_crlf_spaces='  ' + wrapped.replace('\n', ' \r\n\t') + '\n',
        pem_file=str(pem_file),
        der_file=str(der_file),
    )


def test_cryptography_available():
    assert HAS_CRYPTOGRAPHY is True


@pytest.mark.parametrize('form', [
    'pem', 'pem_crlf', 'pem_indented', 'armoured_one_line', 'bare_b64',
    'bare_b64_wrapped_64', 'bare_b64_wrapped_crlf_spaces', 'pem_file', 'der_file',
])
def test_every_encoding_gives_same_certificate(certs, tmp_path, form):
    cert = certs['rsa']
    value = _encodings(cert, tmp_path)[form]
    loaded = load_certificates(value)
    assert len(loaded) == 1
    got = loaded[0]
    assert got.der == _der(cert)
    assert got.fingerprint == _sha256(cert)
    assert got.b64 == _b64(cert)
    assert '\n' not in got.b64
    # also as a one-element list
    assert [c.fingerprint for c in load_certificates([value])] == [_sha256(cert)]


def test_fingerprint_format(certs):
    fp = load_certificates(_pem(certs['ec']))[0].fingerprint
    assert re.match(r'^([0-9A-F]{2}:){31}[0-9A-F]{2}$', fp)
    assert fp == _sha256(certs['ec'])


def test_pem_bundle_keeps_order(certs):
    bundle = _pem(certs['rsa']) + '\n' + _pem(certs['ec']) + _pem(certs['ec384'])
    loaded = load_certificates(bundle)
    assert [c.fingerprint for c in loaded] == [_sha256(certs['rsa']), _sha256(certs['ec']), _sha256(certs['ec384'])]


def test_pem_bundle_crlf_with_text_between(certs):
    bundle = ('subject=CN = idp-rsa\r\n' + _pem(certs['rsa']) + 'Bag Attributes\r\n' + _pem(certs['ec'])).replace('\n', '\r\n')
    loaded = load_certificates(bundle)
    assert [c.fingerprint for c in loaded] == [_sha256(certs['rsa']), _sha256(certs['ec'])]


def test_list_mixing_encodings_flattens(certs, tmp_path):
    enc_ec = _encodings(certs['ec'], tmp_path)
    values = [_pem(certs['rsa']) + _pem(certs['ec384']), enc_ec['der_file']]
    loaded = load_certificates(values)
    assert [c.fingerprint for c in loaded] == [_sha256(certs['rsa']), _sha256(certs['ec384']), _sha256(certs['ec'])]


def test_relative_path_with_base_dir(certs, tmp_path):
    (tmp_path / 'files').mkdir()
    (tmp_path / 'files' / 'idp.crt').write_text(_pem(certs['ec']).replace('\n', '\r\n'))
    loaded = load_certificates('files/idp.crt', base_dir=str(tmp_path))
    assert loaded[0].fingerprint == _sha256(certs['ec'])


def test_pem_file_bundle(certs, tmp_path):
    path = tmp_path / 'bundle.pem'
    path.write_text(_pem(certs['rsa']) + _pem(certs['ec']))
    assert [c.fingerprint for c in load_certificates(str(path))] == [_sha256(certs['rsa']), _sha256(certs['ec'])]


@pytest.mark.parametrize('value, reason', [
    ('this is not a certificate', 'not valid base64'),
    ('not-a-cert!', "unexpected characters '!', '-'"),
    ('QUJD', 'DER parse failed'),                 # valid base64 of b'ABC'
    ('QUJDRA', 'DER parse failed'),               # unpadded base64
    ('QUJDR', 'truncated'),
    ('-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n', 'PEM block 1'),
    ('-----BEGIN CERTIFICATE-----\nMIIB', 'PEM armour is broken'),
    ('-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----\n', 'no CERTIFICATE block'),
    ('   ', 'empty'),
])
def test_garbage_raises(value, reason):
    with pytest.raises(CertificateError, match=reason):
        load_certificates(value)


def test_error_names_list_index(certs):
    with pytest.raises(CertificateError, match=r'^certificates\[1\]: '):
        load_certificates([_pem(certs['rsa']), 'garbage!!'])


def test_error_names_file(tmp_path):
    path = tmp_path / 'broken.pem'
    path.write_text('-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n')
    with pytest.raises(CertificateError) as err:
        load_certificates([str(path)])
    assert 'certificates[0]' in str(err.value)
    assert str(path) in str(err.value)


def test_binary_garbage_file(tmp_path):
    path = tmp_path / 'junk.der'
    path.write_bytes(b'\x30\x82\xff\xff\x00\x01\x02\xfe\xfd')
    with pytest.raises(CertificateError, match='junk.der'):
        load_certificates(str(path))


def test_missing_file_message():
    with pytest.raises(CertificateError, match='no such file'):
        load_certificates('/nonexistent/dir/idp.pem')


def test_private_key_refused(keys, certs):
    key_pem = keys['ec256'].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode('ascii')
    with pytest.raises(CertificateError, match='private key') as err:
        load_certificates(_pem(certs['ec']) + key_pem)
    # the key material never appears in the message
    body = ''.join(key_pem.splitlines()[1:-1])
    assert body[:40] not in str(err.value)


def test_attributes_rsa(certs):
    cert = load_certificates(_pem(certs['rsa']))[0]
    assert cert.subject == 'O=Acme IdP,CN=idp-rsa.example.com'
    assert cert.issuer == 'CN=Acme Root CA'
    assert cert.key_type == 'RSA 2048'
    assert cert.not_before == (NOW - datetime.timedelta(days=30))
    assert cert.not_after == (NOW + datetime.timedelta(days=365))
    assert cert.not_before.tzinfo is not None and cert.not_after.utcoffset() == datetime.timedelta(0)
    assert cert.pem.startswith('-----BEGIN CERTIFICATE-----\n')
    assert load_certificates(cert.pem)[0].der == cert.der
    assert all(len(line) <= 64 for line in cert.pem.splitlines())


def test_attributes_ec(certs):
    assert load_certificates(_pem(certs['ec']))[0].key_type == 'EC P-256'
    assert load_certificates(_pem(certs['ec384']))[0].key_type == 'EC P-384'


def test_summary_fields(certs):
    cert = load_certificates(_b64(certs['soon']))[0]
    summary = cert.summary(now=NOW)
    assert summary == dict(
        fingerprint=_sha256(certs['soon']),
        subject='O=Acme IdP,CN=soon.example.com',
        issuer='CN=soon.example.com',
        not_before=(NOW - datetime.timedelta(days=300)).strftime('%Y-%m-%dT%H:%M:%SZ'),
        not_after='2026-12-09T12:00:00Z',
        days_left=10,
        key_type='EC P-256',
    )


def test_days_left_and_validity(certs):
    expired = Certificate(_der(certs['expired']))
    future = Certificate(_der(certs['future']))
    good = Certificate(_der(certs['rsa']))
    assert expired.is_expired(NOW) and not expired.is_not_yet_valid(NOW)
    assert expired.days_left(NOW) == -5
    assert future.is_not_yet_valid(NOW) and not future.is_expired(NOW)
    assert not good.is_expired(NOW) and not good.is_not_yet_valid(NOW)
    assert good.days_left(NOW) == 365
    # a naive "now" is taken as UTC
    assert good.days_left(NOW.replace(tzinfo=None)) == 365


def test_check_validity_expired_raises(certs):
    loaded = load_certificates([_pem(certs['rsa']), _pem(certs['expired'])])
    with pytest.raises(CertificateError) as err:
        check_validity(loaded, now=NOW)
    msg = str(err.value)
    assert 'CN=old.example.com' in msg
    assert 'expired on 2026-11-24T12:00:00Z' in msg
    assert 'allow_expired_certificates' in msg
    assert 'idp-rsa' not in msg


def test_check_validity_not_yet_valid_raises(certs):
    loaded = load_certificates(_pem(certs['future']))
    with pytest.raises(CertificateError, match=r'future\.example\.com.*not valid before 2026-12-02T12:00:00Z'):
        check_validity(loaded, now=NOW)


def test_check_validity_allow_expired_warns(certs):
    loaded = load_certificates([_pem(certs['expired']), _pem(certs['future']), _pem(certs['rsa'])])
    warnings = check_validity(loaded, allow_expired=True, now=NOW)
    assert len(warnings) == 2
    assert 'CN=old.example.com' in warnings[0] and 'expired on 2026-11-24' in warnings[0]
    assert 'CN=future.example.com' in warnings[1] and '2026-12-02' in warnings[1]


def test_check_validity_expiring_soon_warning(certs):
    loaded = load_certificates([_pem(certs['soon']), _pem(certs['rsa'])])
    warnings = check_validity(loaded, warn_days=30, now=NOW)
    assert len(warnings) == 1
    assert 'O=Acme IdP,CN=soon.example.com' in warnings[0]
    assert '2026-12-09' in warnings[0]
    assert 'in 10 day' in warnings[0]
    # below the threshold: no warning
    assert check_validity(loaded, warn_days=9, now=NOW) == []
    # threshold covering the RSA one too
    assert len(check_validity(loaded, warn_days=400, now=NOW)) == 2


def test_parse_api_certificate(certs, tmp_path):
    assert parse_api_certificate(_b64(certs['ec'])).fingerprint == _sha256(certs['ec'])
    assert parse_api_certificate(_pem(certs['ec']).replace('\n', '\r\n')).fingerprint == _sha256(certs['ec'])
    assert parse_api_certificate('garbage!!') is None
    assert parse_api_certificate('QUJD') is None
    assert parse_api_certificate('') is None
    assert parse_api_certificate(None) is None
    # never reads files: a path is just text
    path = tmp_path / 'c.pem'
    path.write_text(_pem(certs['ec']))
    assert parse_api_certificate(str(path)) is None


def test_fingerprint_set_equal_across_encodings_and_order(certs, tmp_path):
    rsa_forms = _encodings(certs['rsa'], tmp_path)
    ec_b64 = _b64(certs['ec'])
    expected = frozenset([_sha256(certs['rsa']), _sha256(certs['ec'])])
    for form in ('pem', 'pem_crlf', 'pem_indented', 'armoured_one_line', 'bare_b64', 'bare_b64_wrapped_64'):
        assert fingerprint_set([rsa_forms[form], ec_b64]) == expected
        assert fingerprint_set([ec_b64, rsa_forms[form]]) == expected
    assert fingerprint_set(rsa_forms['pem'] + _pem(certs['ec'])) == expected
    assert fingerprint_set(load_certificates([ec_b64, rsa_forms['pem']])) == expected
    assert fingerprint_set([rsa_forms['pem']]) != expected
    assert fingerprint_set(None) == frozenset()
    assert fingerprint_set([]) == frozenset()


def test_fingerprint_set_tolerates_unparseable(certs):
    ec_b64 = _b64(certs['ec'])
    got = fingerprint_set(['not a cert\r\n', ec_b64])
    assert got == frozenset(['raw:notacert', _sha256(certs['ec'])])
    # normalised text: armour, line endings and spaces do not matter
    assert fingerprint_set('-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----') == fingerprint_set('QUJD')
    assert fingerprint_set('QUJD') == frozenset(['raw:QUJD'])
    assert fingerprint_set('QUJD') != fingerprint_set('QUJE')


def test_certificate_equality_and_hash(certs):
    a = load_certificates(_pem(certs['rsa']))[0]
    b = load_certificates(_b64(certs['rsa']))[0]
    c = load_certificates(_b64(certs['ec']))[0]
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2


def test_certificate_from_bad_der():
    with pytest.raises(CertificateError):
        Certificate(b'\x30\x03\x02\x01\x01')
