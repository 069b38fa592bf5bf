# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_genesys_metadata.py.

The expected values of every fixture are copied by hand from
fixtures/idp-metadata/SOURCES.md (the independently computed oracle), not
computed by the parser under test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import gzip
import hashlib
import ipaddress
import os
import re
import ssl
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import load_certificates
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_metadata import (
    HAS_DEFUSEDXML,
    MAX_METADATA_BYTES,
    MetadataError,
    check_metadata_url,
    fetch_idp_metadata,
    mask_url,
    normalize_binding,
    parse_idp_metadata,
    show_url,
    tls_off_warning,
    url_secrets,
)

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'idp-metadata')

POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
SOAP = 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP'
SIMPLESIGN = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign'

NID11 = 'urn:oasis:names:tc:SAML:1.1:nameid-format:'
NID20 = 'urn:oasis:names:tc:SAML:2.0:nameid-format:'


def load_fixture(name):
    """Bytes of a fixture; the CRLF ones are stored gzip-compressed (see README.md there)."""
    path = os.path.join(FIXTURES, name)
    if os.path.exists(path):
        with open(path, 'rb') as handle:
            return handle.read()
    with gzip.open(path + '.gz', 'rb') as handle:
        return handle.read()


def fingerprints(result):
    return [hashlib.sha256(base64.b64decode(c)).hexdigest() for c in result['certificates']]


# Expected values, from SOURCES.md (summary table + per-file details).
# post / redirect: SSO Location per binding (None = not offered); slo: every SingleLogoutService
# in document order; certs: signing cert SHA-256 in document order; absent: certs listed in
# SOURCES.md as "must NOT be imported"; nameids: NameIDFormat values in order.
EXPECTED = [
    dict(
        file='okta-app-metadata.xml',
        entity_id='http://www.okta.com/exkppsa1qwuFV4D7z0h7',
        post='https://dev-513394.oktapreview.com/app/rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml',
        redirect='https://dev-513394.oktapreview.com/app/rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml',
        slo=[],
        certs=['d40df01ccede49d207cb6d8abd15770a4b6eca14a85448c2959a98f85dc31ed4'],
        absent=[],
        nameids=[NID11 + 'unspecified', NID11 + 'emailAddress'],
    ),
    dict(
        file='entra-federationmetadata-bom.xml',
        entity_id='https://sts.windows.net/4afbc689-805b-48cf-a24c-d4aa3248a248/',
        post=None,
        redirect='https://login.windows.net/4afbc689-805b-48cf-a24c-d4aa3248a248/saml2',
        slo=[(REDIRECT, 'https://login.windows.net/4afbc689-805b-48cf-a24c-d4aa3248a248/saml2')],
        certs=['e430dfea6a944cae9e63b199f5c5ce3f5a19220630270a06e94a9b5aa58c06e1',
               'e1849418d63741adc19d650b3d6b26f88c27c3d54512578b8d1337a971e21ed0'],
        absent=[],
        nameids=[],
    ),
    dict(
        file='entra-federationmetadata-pretty-crlf.xml',
        entity_id='https://sts.windows.net/554fadfe-f04f-4975-90cb-ddc8b147aaa2/',
        post=None,
        redirect='https://login.windows.net/554fadfe-f04f-4975-90cb-ddc8b147aaa2/saml2',
        slo=[(REDIRECT, 'https://login.windows.net/554fadfe-f04f-4975-90cb-ddc8b147aaa2/saml2')],
        certs=['e1849418d63741adc19d650b3d6b26f88c27c3d54512578b8d1337a971e21ed0'],
        absent=[],
        nameids=[],
    ),
    dict(
        file='adfs-federationmetadata-large.xml',
        entity_id='http://idp.adfs.example.com/adfs/services/trust',
        post='https://idp.adfs.example.com/adfs/ls/',
        redirect='https://idp.adfs.example.com/adfs/ls/',
        slo=[(REDIRECT, 'https://idp.adfs.example.com/adfs/ls/'), (POST, 'https://idp.adfs.example.com/adfs/ls/')],
        certs=['96e31cccdd6df03eab4ae1b9d3e72d444a64f58ed0edd6f1904188813b4970f3'],
        absent=['3b6344152170f597440104c75b990a8a88b678730c98eda9c5f1ec19321b0e07',
                'f488d4a5d8c18073d5575bf62a8751ccb5d260819a39a5865fedcb544b076d02'],
        nameids=[NID11 + 'emailAddress', NID20 + 'persistent', NID20 + 'transient'],
    ),
    dict(
        file='google-workspace-idp-metadata.xml',
        entity_id='https://accounts.google.com/o/saml2?idpid=C02dfl1r1',
        post='https://accounts.google.com/o/saml2/idp?idpid=C02dfl1r1',
        redirect=None,
        slo=[],
        certs=['df6f6d4eecf6c2d6515a64bc80430a879c25cfb03b666aeb1e61ce4fe02d7da2'],
        absent=[],
        nameids=[NID11 + 'emailAddress'],
    ),
    dict(
        file='onelogin-idp-metadata.xml',
        entity_id='https://app.onelogin.com/saml/metadata/645460',
        post='https://example.onelogin.com/trust/saml2/http-post/sso/645460',
        redirect='https://example.onelogin.com/trust/saml2/http-redirect/sso/645460',
        slo=[(REDIRECT, 'https://example.onelogin.com/trust/saml2/http-redirect/slo/645460')],
        certs=['e552d92c3cdc3d095c907682abb675b492922c42877e18eb17f31f39fe9f7c6a'],
        absent=[],
        nameids=[NID20 + 'transient'],
    ),
    dict(
        file='onelogin-sign-and-encrypt-certs.xml',
        entity_id='https://app.onelogin.com/saml/metadata/383123',
        post='https://app.onelogin.com/trust/saml2/http-post/sso/383123',
        redirect='https://app.onelogin.com/trust/saml2/http-post/sso/383123',
        slo=[],
        certs=['46e368f4ed61432bec36e399e9034b99e5b358efa9a900fc2dc87c14c660e38f'],
        absent=['e552d92c3cdc3d095c907682abb675b492922c42877e18eb17f31f39fe9f7c6a'],
        nameids=[NID11 + 'emailAddress'],
    ),
    dict(
        # Decision for the "2 (+1 invalid)" case: strict. The 3rd value (base64 of PEM text) is
        # skipped and reported in warnings, not unwrapped.
        file='onelogin-multi-signing-certs.xml',
        entity_id='https://idp.examle.com/saml/metadata',
        post=None,
        redirect='https://idp.examle.com/saml/sso',
        slo=[(REDIRECT, 'https://idp.examle.com/saml/slo')],
        certs=['e552d92c3cdc3d095c907682abb675b492922c42877e18eb17f31f39fe9f7c6a',
               '47051032706842dc361b2aa84e0687becb98341d0e13c4d7202e8f475b4a155d'],
        absent=['757468dfbaeb20726ec9f77d854ab99fafa840779ea204470c9a96fdda04f000',
                'c4c6bd41ecad5797ce7b7d8006c3e4305329020bdd2d47029ebd85ad93024521'],
        nameids=[NID20 + 'transient'],
        warnings=[r'KeyDescriptor 3 .*not a DER certificate \(its base64 decodes to PEM text'],
    ),
    dict(
        file='auth0-idp-metadata.xml',
        entity_id='urn:dev-tyj7qyzz.auth0.com',
        post='https://dev-tyj7qyzz.auth0.com/samlp/AX3jRN4ECnojiEepVjvM7yVCEcpVX6w6',
        redirect='https://dev-tyj7qyzz.auth0.com/samlp/AX3jRN4ECnojiEepVjvM7yVCEcpVX6w6',
        slo=[(REDIRECT, 'https://dev-tyj7qyzz.auth0.com/samlp/logout'), (POST, 'https://dev-tyj7qyzz.auth0.com/samlp/logout')],
        certs=['9cc8d2b13eed47f6594e40a5e6686ab0cc9f1b6933ad48421544a5e810a549dd'],
        absent=[],
        nameids=[NID11 + 'emailAddress', NID20 + 'persistent', NID20 + 'transient'],
    ),
    dict(
        file='shibboleth-samltest-idp-metadata.xml',
        entity_id='https://samltest.id/saml/idp',
        post='https://samltest.id/idp/profile/SAML2/POST/SSO',
        redirect='https://samltest.id/idp/profile/SAML2/Redirect/SSO',
        slo=[(REDIRECT, 'https://samltest.id/idp/profile/SAML2/Redirect/SLO'),
             (POST, 'https://samltest.id/idp/profile/SAML2/POST/SLO'),
             (SIMPLESIGN, 'https://samltest.id/idp/profile/SAML2/POST-SimpleSign/SLO')],
        certs=['e5e0e6578a27b53a2ca05182fb0ad23c97f333497469c8708b3aca61be5fa79e',
               'caf255f8f46de42497be3c42acccba4151d98feba31e7377ab5c2433a35a2065'],
        absent=['4c89fbf7a569af5bc83c8ae71c7692baa371578f2ccf5c2f78e8b30068898403'],
        nameids=[],
    ),
    dict(
        file='shibboleth-testshib-entitiesdescriptor.xml',
        entity_id='https://idp.testshib.org/idp/shibboleth',
        post='https://idp.testshib.org/idp/profile/SAML2/POST/SSO',
        redirect='https://idp.testshib.org/idp/profile/SAML2/Redirect/SSO',
        slo=[],
        certs=['ed03ff38dfc7ea48523e2710ec645fededdb55688c162cb37b485c523ea5c022'],
        absent=['83f3fee451358c5f60769603c27f9f64d3b652b3c97ae7dc5786dee56c72b32d',
                'fdcd97f3e2ec9d99c91e3a71fb50a680b374e10e8ddaff0fcae92ea79d2a812b'],
        nameids=['urn:mace:shibboleth:1.0:nameIdentifier', NID20 + 'transient'],
    ),
    dict(
        file='federation-signed-entitiesdescriptor.xml',
        select='https://si-saai.ualg.pt/idp/shibboleth',
        entity_id='https://si-saai.ualg.pt/idp/shibboleth',
        entity_ids=['https://si-saai.ualg.pt/idp/shibboleth', 'https://idp.fccn.pt/idp/shibboleth'],
        post='https://si-saai.ualg.pt/idp/profile/SAML2/POST/SSO',
        redirect='https://si-saai.ualg.pt/idp/profile/SAML2/Redirect/SSO',
        slo=[],
        certs=['f07e9e4e8c69f4b38a2ea00af33533f49fa21b1477c47d110b8e3584d1f51ec0'],
        absent=['c0b6c999769c26413103c99b3d7a6eb387075d6ce72edae2562459c97c9b1001',
                'd756dbf9aeb54f5cee044ac127f0f56a8d2a36dad335328c9ae1b9b7d32d8ddb',
                '0b241217b3c3583799fa1d23bea0acc2e1d1b82e5066116ec9ad5bed78660dcf'],
        nameids=['urn:mace:shibboleth:1.0:nameIdentifier', NID20 + 'transient'],
    ),
    dict(
        file='federation-signed-entitiesdescriptor.xml',
        select='https://idp.fccn.pt/idp/shibboleth',
        entity_id='https://idp.fccn.pt/idp/shibboleth',
        entity_ids=['https://si-saai.ualg.pt/idp/shibboleth', 'https://idp.fccn.pt/idp/shibboleth'],
        post='https://idp.fccn.pt/idp/profile/SAML2/POST/SSO',
        redirect='https://idp.fccn.pt/idp/profile/SAML2/Redirect/SSO',
        slo=[],
        certs=['0b241217b3c3583799fa1d23bea0acc2e1d1b82e5066116ec9ad5bed78660dcf'],
        absent=['c0b6c999769c26413103c99b3d7a6eb387075d6ce72edae2562459c97c9b1001',
                'd756dbf9aeb54f5cee044ac127f0f56a8d2a36dad335328c9ae1b9b7d32d8ddb',
                'f07e9e4e8c69f4b38a2ea00af33533f49fa21b1477c47d110b8e3584d1f51ec0'],
        nameids=['urn:mace:shibboleth:1.0:nameIdentifier', NID20 + 'transient'],
    ),
    dict(
        file='simplesamlphp-openidp-feide-crlf.xml',
        entity_id='https://openidp.feide.no',
        post=None,
        redirect='https://openidp.feide.no/simplesaml/saml2/idp/SSOService.php',
        slo=[(REDIRECT, 'https://openidp.feide.no/simplesaml/saml2/idp/SingleLogoutService.php')],
        certs=['fcc6e3eedbaf272a76a8eb228d0fac794c7e1b408fb87d29e6c1b44089471153'],
        absent=[],
        nameids=[NID20 + 'transient'],
    ),
    dict(
        file='openconext-engineblock-signed.xml',
        entity_id='https://engine.surfconext.nl/authentication/idp/metadata',
        post=None,
        redirect='https://engine.surfconext.nl/authentication/idp/single-sign-on',
        slo=[],
        certs=['63e56d72db79c503db2a218b3b43e789574787de692cdf8556d901a3a02514d8'],
        absent=[],
        nameids=[NID20 + 'persistent', NID20 + 'transient', NID11 + 'unspecified', NID20 + 'unspecified'],
    ),
    dict(
        file='pysaml2-idp-ns0-prefix.xml',
        entity_id='https://localhost:8088/idp.xml',
        post='https://localhost:8088/sso/post',
        redirect='https://localhost:8088/sso/redirect',
        slo=[(SOAP, 'https://localhost:8088/slo/soap'), (POST, 'https://localhost:8088/slo/post'),
             (REDIRECT, 'https://localhost:8088/slo/redirect')],
        certs=['05d300cb97931913d01252d16d0dfcf991c4c8d4873938206e8a01e838a53fd9'],
        absent=[],
        nameids=[NID20 + 'transient', NID20 + 'persistent'],
    ),
    dict(
        file='simplesamlphp-keydescriptor-no-use.xml',
        entity_id='http://xenosmilus.umdc.umu.se/simplesaml/saml2/idp/metadata.php',
        post=None,
        redirect='http://xenosmilus.umdc.umu.se/simplesaml/saml2/idp/metadata.php',
        slo=[],
        certs=['9774942ca89a4f75fbf022f4160caaa064d8e95470eff9b6d3431ac8e1b1bf84'],
        absent=[],
        nameids=[NID20 + 'transient'],
    ),
]

EXPECTED_ERRORS = [
    ('sp-only-no-idpssodescriptor.xml', r'no IdP SSO descriptor \(IDPSSODescriptor\).*https://sp\.example\.com/sp\.xml'),
    ('broken-google-no-namespace.xml', r'not in the SAML 2\.0 metadata namespace.*no IdP SSO descriptor'),
    ('broken-comment-before-xml-declaration.xml', r'not well-formed XML: XML or text declaration not at start of entity: line 2, column 0'),
]


def _case_id(case):
    return case['file'] + ('#' + case['select'] if case.get('select') else '')


def test_defusedxml_available():
    assert HAS_DEFUSEDXML is True


def test_fixture_bytes_match_sources():
    """Every fixture is byte-exact with SOURCES.md (provenance), and every fixture is tested."""
    with open(os.path.join(FIXTURES, 'SOURCES.md'), encoding='utf-8') as handle:
        sources = handle.read()
    sums = re.findall(r'^### `([^`]+)`\n+(?:- .*\n)*?- Size (\d+) bytes, file SHA-256 `([0-9a-f]{64})`', sources, re.M)
    assert len(sums) == 19
    for name, size, digest in sums:
        data = load_fixture(name)
        assert len(data) == int(size), name
        assert hashlib.sha256(data).hexdigest() == digest, name
    tested = set(c['file'] for c in EXPECTED) | set(name for name, _msg in EXPECTED_ERRORS)
    assert tested == set(name for name, _size, _digest in sums)


@pytest.mark.parametrize('case', EXPECTED, ids=_case_id)
def test_fixture_values(case):
    data = load_fixture(case['file'])
    result = parse_idp_metadata(data, entity_id=case.get('select'))

    assert result['entity_id'] == case['entity_id']
    assert result['issuer_uri'] == case['entity_id']
    assert result['entity_ids'] == case.get('entity_ids', [case['entity_id']])

    expected_sso = {}
    if case['post']:
        expected_sso[POST] = case['post']
    if case['redirect']:
        expected_sso[REDIRECT] = case['redirect']
    assert result['sso_services'] == expected_sso
    # default binding: one the IdP offers, with its URL
    assert result['sso_binding'] in expected_sso
    assert result['sso_target_uri'] == expected_sso[result['sso_binding']]

    assert [(s['binding'], s['location']) for s in result['slo_services']] == case['slo']
    usable_slo = [(b, loc) for b, loc in case['slo'] if b in (POST, REDIRECT)]
    if usable_slo:
        assert (result['slo_binding'], result['slo_uri']) in usable_slo
    else:
        assert result['slo_binding'] is None and result['slo_uri'] is None

    assert fingerprints(result) == case['certs']
    for digest in case['absent']:
        assert digest not in fingerprints(result)
    # bare base64, one line, loadable by _genesys_certs with the same fingerprint
    for b64, digest in zip(result['certificates'], case['certs']):
        assert re.match(r'^[A-Za-z0-9+/]+=*$', b64)
        cert = load_certificates(b64)[0]
        assert cert.fingerprint.replace(':', '').lower() == digest

    assert result['name_identifier_formats'] == case['nameids']
    # emailAddress is preferred when offered (an Okta metadata lists unspecified first), else the first one
    email = [n for n in case['nameids'] if n == NID11 + 'emailAddress']
    assert result['name_identifier_format'] == (email or case['nameids'] or [None])[0]
    assert result['name_identifier_formats_preferred'] == email + [n for n in case['nameids'] if n not in email]

    expected_warnings = case.get('warnings', [])
    assert len(result['warnings']) == len(expected_warnings)
    for pattern, text in zip(expected_warnings, result['warnings']):
        assert re.search(pattern, text)


@pytest.mark.parametrize('case', EXPECTED, ids=_case_id)
@pytest.mark.parametrize('binding', ['HTTP-POST', 'HTTP-Redirect', POST, REDIRECT])
def test_fixture_binding_preference(case, binding):
    data = load_fixture(case['file'])
    result = parse_idp_metadata(data, entity_id=case.get('select'), sso_binding=binding)
    wanted = POST if 'POST' in binding else REDIRECT
    wanted_url = case['post'] if wanted == POST else case['redirect']
    if wanted_url:
        assert result['sso_binding'] == wanted
        assert result['sso_target_uri'] == wanted_url
        assert not [w for w in result['warnings'] if 'SingleSignOnService' in w]
    else:
        other = REDIRECT if wanted == POST else POST
        assert result['sso_binding'] == other
        assert result['sso_target_uri'] == (case['redirect'] if other == REDIRECT else case['post'])
        assert any('offers no {0} SingleSignOnService'.format(wanted.rsplit(':', 1)[1]) in w for w in result['warnings'])
    # an SLO with the chosen binding is preferred
    slo_same = [loc for b, loc in case['slo'] if b == result['sso_binding']]
    if slo_same:
        assert result['slo_binding'] == result['sso_binding']
        assert result['slo_uri'] == slo_same[0]


@pytest.mark.parametrize('name, message', EXPECTED_ERRORS)
def test_fixture_errors(name, message):
    with pytest.raises(MetadataError, match=message):
        parse_idp_metadata(load_fixture(name))


def test_default_binding_is_first_offered():
    # onelogin lists Redirect before POST, samltest lists POST first
    assert parse_idp_metadata(load_fixture('onelogin-idp-metadata.xml'))['sso_binding'] == REDIRECT
    assert parse_idp_metadata(load_fixture('shibboleth-samltest-idp-metadata.xml'))['sso_binding'] == POST
    # pysaml2: SLO listed SOAP, POST, Redirect; SSO default Redirect -> SLO Redirect
    result = parse_idp_metadata(load_fixture('pysaml2-idp-ns0-prefix.xml'))
    assert (result['sso_binding'], result['slo_binding'], result['slo_uri']) == (
        REDIRECT, REDIRECT, 'https://localhost:8088/slo/redirect')


def test_several_idps_need_entity_id():
    data = load_fixture('federation-signed-entitiesdescriptor.xml')
    with pytest.raises(MetadataError) as err:
        parse_idp_metadata(data)
    msg = str(err.value)
    assert 'https://si-saai.ualg.pt/idp/shibboleth' in msg and 'https://idp.fccn.pt/idp/shibboleth' in msg
    assert 'idp_entity_id' in msg
    assert 'webtut' not in msg  # the SP is not an IdP
    with pytest.raises(MetadataError, match=r"'https://nope\.example' .*IdP entity ids found: https://si-saai"):
        parse_idp_metadata(data, entity_id='https://nope.example')
    # the SP entity of the aggregate cannot be chosen
    with pytest.raises(MetadataError, match='no identity provider'):
        parse_idp_metadata(data, entity_id='https://webtut.fccn.pt')


def test_single_idp_with_wrong_entity_id_fails():
    with pytest.raises(MetadataError, match='no identity provider with entity id'):
        parse_idp_metadata(load_fixture('okta-app-metadata.xml'), entity_id='http://other')
    # exactly that one: fine
    assert parse_idp_metadata(load_fixture('okta-app-metadata.xml'),
                              entity_id='http://www.okta.com/exkppsa1qwuFV4D7z0h7')['entity_id'] == 'http://www.okta.com/exkppsa1qwuFV4D7z0h7'


def test_text_input_bom_crlf_and_leading_whitespace():
    bom = load_fixture('entra-federationmetadata-bom.xml')
    assert bom.startswith(b'\xef\xbb\xbf')
    from_bytes = parse_idp_metadata(bom)
    from_text = parse_idp_metadata(bom.decode('utf-8'))   # str keeps the BOM character
    assert from_text == from_bytes
    crlf = load_fixture('simplesamlphp-openidp-feide-crlf.xml')
    assert b'\r\n' in crlf
    lf = crlf.replace(b'\r\n', b'\n')
    assert parse_idp_metadata(crlf.decode('utf-8')) == parse_idp_metadata(lf)
    assert parse_idp_metadata(b'\n  \r\n' + lf)['entity_id'] == 'https://openidp.feide.no'


def test_non_utf8_declared_encoding():
    doc = (u'<?xml version="1.0" encoding="ISO-8859-1"?>'
           u'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/caf\u00e9">'
           u'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
           u'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/sso"/>'
           u'</md:IDPSSODescriptor></md:EntityDescriptor>')
    # this document has no signing certificate: refused by default (D12), read when certificates come from options
    with pytest.raises(MetadataError, match='no usable signing certificate'):
        parse_idp_metadata(doc.encode('iso-8859-1'))
    result = parse_idp_metadata(doc.encode('iso-8859-1'), require_signing_certificate=False)
    assert result['entity_id'] == u'https://idp.example/caf\u00e9'
    assert result['certificates'] == []
    assert result['slo_uri'] is None and result['name_identifier_format'] is None


def _minimal(sso_bindings, extra=''):
    services = ''.join('<SingleSignOnService Binding="{0}" Location="https://idp.example/{1}"/>'.format(b, i)
                       for i, b in enumerate(sso_bindings))
    return ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            + extra + services + '</IDPSSODescriptor></EntityDescriptor>')


def test_no_usable_sso_binding():
    with pytest.raises(MetadataError, match=r'no HTTP-POST or HTTP-Redirect SingleSignOnService \(bindings offered: SOAP\)'):
        parse_idp_metadata(_minimal([SOAP]))
    with pytest.raises(MetadataError, match=r'bindings offered: none'):
        parse_idp_metadata(_minimal([]))


@pytest.mark.parametrize('value, urn', [
    ('HTTP-POST', POST), ('http-post', POST), ('HTTP Post', POST), (POST, POST), ('post', POST),
    ('HTTP-Redirect', REDIRECT), ('HTTP Redirect', REDIRECT), (REDIRECT, REDIRECT), (' redirect ', REDIRECT),
    (None, None),
])
def test_normalize_binding(value, urn):
    assert normalize_binding(value) == urn


def test_bad_binding_option():
    with pytest.raises(MetadataError, match="unsupported SSO binding 'SOAP'"):
        parse_idp_metadata(load_fixture('okta-app-metadata.xml'), sso_binding='SOAP')


BILLION_LAUGHS = b'''<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol9;">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/sso"/>
</md:IDPSSODescriptor></md:EntityDescriptor>'''

XXE = b'''<?xml version="1.0"?>
<!DOCTYPE md:EntityDescriptor [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:NameIDFormat>&xxe;</md:NameIDFormat>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/sso"/>
</md:IDPSSODescriptor></md:EntityDescriptor>'''

EXTERNAL_DTD = b'''<?xml version="1.0"?>
<!DOCTYPE md:EntityDescriptor SYSTEM "http://127.0.0.1:9/evil.dtd">
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"/>'''


@pytest.mark.parametrize('doc', [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=['billion-laughs', 'xxe-file', 'external-dtd'])
def test_unsafe_xml_refused(doc):
    with pytest.raises(MetadataError, match='refusing the metadata document: it declares a DTD') as err:
        parse_idp_metadata(doc)
    assert 'root:' not in str(err.value)
    with pytest.raises(MetadataError, match='refusing'):
        parse_idp_metadata(doc.decode('ascii'))


@pytest.mark.parametrize('doc, message', [
    ('', 'empty'),
    ('   \n', 'empty'),
    ('not xml at all', 'not well-formed XML'),
    ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">', 'not well-formed XML'),
    ('<html><body>Sign in</body></html>', r'root element is <html>'),
    ('<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>', 'no SAML 2.0 EntityDescriptor'),
])
def test_broken_documents(doc, message):
    with pytest.raises(MetadataError, match=message):
        parse_idp_metadata(doc)


def test_nested_entities_descriptor_and_signature_cert_ignored():
    inner = load_fixture('onelogin-idp-metadata.xml').decode('utf-8')
    inner = inner[inner.index('<EntityDescriptor'):]
    doc = ('<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><EntitiesDescriptor>'
           + inner + '</EntitiesDescriptor></EntitiesDescriptor>')
    result = parse_idp_metadata(doc)
    assert result['entity_id'] == 'https://app.onelogin.com/saml/metadata/645460'
    assert fingerprints(result) == ['e552d92c3cdc3d095c907682abb675b492922c42877e18eb17f31f39fe9f7c6a']


# ---------------------------------------------------------------- fetch

def _no_connection(monkeypatch):
    """Any request of the transport (the one HTTP stack, metadata downloads included) fails the test."""
    import requests

    def boom(*args, **kwargs):
        raise AssertionError('no request may be sent')

    monkeypatch.setattr(requests.Session, 'request', boom)
    monkeypatch.setattr(requests.Session, 'send', boom)


def test_fetch_refuses_http_without_connecting(monkeypatch):
    _no_connection(monkeypatch)
    for url in ('http://idp.example/metadata', 'ftp://idp.example/m.xml', 'file:///etc/passwd', 'https://', '', 'idp.example/m'):
        with pytest.raises(MetadataError, match='https|empty'):
            fetch_idp_metadata(url)


def _tls_material(tmp_dir):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'metadata test CA')])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'127.0.0.1')]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u'127.0.0.1'))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path = os.path.join(tmp_dir, 'ca.pem')
    with open(ca_path, 'wb') as handle:
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path = os.path.join(tmp_dir, 'server.pem')
    with open(cert_path, 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return ca_path, cert_path


@pytest.fixture(scope='module')
def https_server(tmp_path_factory):
    tmp_dir = str(tmp_path_factory.mktemp('tls'))
    ca_path, cert_path = _tls_material(tmp_dir)
    okta = load_fixture('okta-app-metadata.xml')

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, status, body=b'', headers=None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (OSError, ValueError):   # the client refused the body early (e.g. by its Content-Length)
                pass

        def do_GET(self):
            port = self.server.server_address[1]
            if self.path == '/metadata.xml':
                self._send(200, okta, {'Content-Type': 'application/samlmetadata+xml'})
            elif self.path == '/moved':
                self._send(302, headers={'Location': '/metadata.xml'})
            elif self.path == '/to-http':
                self._send(301, headers={'Location': 'http://127.0.0.1:%d/metadata.xml' % port})
            elif self.path == '/loop':
                self._send(302, headers={'Location': '/loop'})
            elif self.path == '/huge':
                self._send(200, b'<' + b'a' * MAX_METADATA_BYTES + b'>')
            else:
                self._send(404, b'not here')

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.1))
    thread.daemon = True
    thread.start()
    try:
        yield dict(url='https://127.0.0.1:%d' % server.server_address[1], ca_path=ca_path, okta=okta)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_fetch_with_private_ca(https_server):
    text = fetch_idp_metadata(https_server['url'] + '/metadata.xml', ca_path=https_server['ca_path'], timeout=10)
    assert text == https_server['okta'].decode('utf-8')
    assert parse_idp_metadata(text)['entity_id'] == 'http://www.okta.com/exkppsa1qwuFV4D7z0h7'


def test_fetch_follows_https_redirect(https_server):
    text = fetch_idp_metadata(https_server['url'] + '/moved', ca_path=https_server['ca_path'], timeout=10)
    assert text == https_server['okta'].decode('utf-8')


def test_fetch_untrusted_certificate(https_server):
    with pytest.raises(MetadataError, match='ca_path'):
        fetch_idp_metadata(https_server['url'] + '/metadata.xml', timeout=10)
    # explicitly turned off verification works (user's choice)
    assert fetch_idp_metadata(https_server['url'] + '/metadata.xml', validate_certs=False, timeout=10).startswith('<')


def test_fetch_refuses_redirect_to_http(https_server):
    with pytest.raises(MetadataError, match=r'redirect target .*http://127\.0\.0\.1'):
        fetch_idp_metadata(https_server['url'] + '/to-http', ca_path=https_server['ca_path'], timeout=10)


def test_fetch_redirect_loop_bounded(https_server):
    with pytest.raises(MetadataError, match='more than 5 redirects'):
        fetch_idp_metadata(https_server['url'] + '/loop', ca_path=https_server['ca_path'], timeout=10)


def test_fetch_http_error_and_size_cap(https_server):
    with pytest.raises(MetadataError, match='HTTP 404'):
        fetch_idp_metadata(https_server['url'] + '/missing', ca_path=https_server['ca_path'], timeout=10)
    with pytest.raises(MetadataError, match='larger than 5242880 bytes'):
        fetch_idp_metadata(https_server['url'] + '/huge', ca_path=https_server['ca_path'], timeout=10)


# ---------------------------------------------------------------- issue 13: D12 ambiguity and signing certificates

def _idp_descriptor(entity_id, sso='https://idp.example/sso', cert=None):
    key = ''
    if cert:
        key = ('<KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
               '<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>' % cert)
    return ('<EntityDescriptor entityID="%s"><IDPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s'
            '<SingleSignOnService Binding="%s" Location="%s"/></IDPSSODescriptor></EntityDescriptor>'
            % (entity_id, key, POST, sso))


def _okta_cert():
    return parse_idp_metadata(load_fixture('okta-app-metadata.xml'))['certificates'][0]


def _entities(*descriptors):
    return '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">%s</EntitiesDescriptor>' % ''.join(
        descriptors)


def test_two_idps_with_the_same_entity_id_are_refused_as_ambiguous():
    cert = _okta_cert()
    doc = _entities(_idp_descriptor('https://idp.example/e', 'https://good.example/sso', cert),
                    _idp_descriptor('https://idp.example/e', 'https://evil.example/sso', cert))
    for entity_id in (None, 'https://idp.example/e'):
        with pytest.raises(MetadataError) as err:
            parse_idp_metadata(doc, entity_id=entity_id)
        msg = str(err.value)
        assert "2 identity provider descriptors with the same entity id 'https://idp.example/e'" in msg
        assert 'ambiguous' in msg


def test_a_duplicated_entity_id_does_not_block_choosing_another_idp():
    cert = _okta_cert()
    doc = _entities(_idp_descriptor('https://dup.example/e', cert=cert), _idp_descriptor('https://dup.example/e', cert=cert),
                    _idp_descriptor('https://one.example/e', 'https://one.example/sso', cert))
    assert parse_idp_metadata(doc, entity_id='https://one.example/e')['sso_target_uri'] == 'https://one.example/sso'
    with pytest.raises(MetadataError, match='ambiguous'):
        parse_idp_metadata(doc, entity_id='https://dup.example/e')


def test_metadata_without_signing_certificate_is_refused_or_warned():
    doc = _entities(_idp_descriptor('https://nocert.example/e'))
    with pytest.raises(MetadataError, match=r'the IdP https://nocert\.example/e publishes no usable signing '
                                            r'certificate.*certificates option'):
        parse_idp_metadata(doc)
    # an encryption-only key is no signing certificate either
    enc = _minimal([POST], '<KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
                           '<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                           '</KeyDescriptor>' % _okta_cert())
    with pytest.raises(MetadataError, match='no usable signing certificate'):
        parse_idp_metadata(enc)
    # certificates given another way (the certificates option): a loud warning instead
    result = parse_idp_metadata(doc, require_signing_certificate=False)
    assert result['certificates'] == []
    assert any(w.startswith('WARNING: the IdP https://nocert.example/e publishes no usable signing certificate')
               for w in result['warnings'])


# ---------------------------------------------------------------- issue 13: C11 userinfo masking, D13 URL checks

@pytest.mark.parametrize('url, masked', [
    ('https://user:s3cret-pw@idp.example/m.xml', 'https://user:***@idp.example/m.xml'),
    ('https://user:p@ss@idp.example/m', 'https://user:***@idp.example/m'),
    ('https://user:p%40ss@idp.example:8443/m?x=@', 'https://user:***@idp.example:8443/m?x=@'),
    ('https://tok3n-only@idp.example/m', 'https://***@idp.example/m'),
    ('https://idp.example/m?u=a:b@c', 'https://idp.example/m?u=a:b@c'),
    ('https://idp.example/m', 'https://idp.example/m'),
    ('not a url', 'not a url'),
    (None, None),
])
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_url_secrets_and_show_url():
    assert url_secrets('https://user:p%40ss@idp.example/m') == ['p%40ss', 'p@ss']
    assert url_secrets('https://user@idp.example/m') == [] and url_secrets('https://idp.example/m') == []
    assert show_url('https://u:pw-secret@idp.example/a b') == repr('https://u:***@idp.example/a b')
    assert 'pw-secret' not in show_url('https://u:pw-secret@idp.example/\x00')


@pytest.mark.parametrize('url, message', [
    ('https://idp.exa mple.com/m', r'contains a space \(U\+0020\) at position 16'),
    ('https://idp.example.com/m\x00.xml', r'contains a control character \(U\+0000\)'),
    ('https://idp.example.com/\r\nX-Injected: 1', r'control character \(U\+000D\)'),
    ('https://[::1/x', r'not a valid https:// URL \(Invalid IPv6 URL\)'),
    ('https://[zz]/x', r'not a valid https:// URL'),
    ('https://idp.example.com:99999/x', r'not a valid https:// URL \(Port out of range'),
    ('https://idp.example.com:ab/x', r'not a valid https:// URL'),
    ('javascript:alert(1)', r'only https:// URLs with a host'),
    ('data:text/html,<b>x</b>', r'only https:// URLs with a host'),
    ('https://user:pw@/x', r'only https:// URLs with a host'),
])
def test_malformed_metadata_urls_are_clean_errors_without_connecting(monkeypatch, url, message):
    _no_connection(monkeypatch)
    with pytest.raises(MetadataError, match=message):
        fetch_idp_metadata(url)
    with pytest.raises(MetadataError, match=message):
        check_metadata_url(url)


def test_url_check_messages_mask_the_password(monkeypatch):
    _no_connection(monkeypatch)
    for url in ('http://admin:hunter2-secret@idp.example/m', 'https://admin:hunter2-secret@idp.exa mple/m',
                'https://admin:hunter2-secret@[::1/m'):
        with pytest.raises(MetadataError) as err:
            fetch_idp_metadata(url)
        assert 'hunter2-secret' not in str(err.value) and 'admin:***@' in str(err.value)


def test_fetch_error_messages_mask_the_password(https_server):
    url = https_server['url'].replace('https://', 'https://admin:hunter2-secret@') + '/missing'
    with pytest.raises(MetadataError, match='HTTP 404') as err:
        fetch_idp_metadata(url, ca_path=https_server['ca_path'], timeout=10)
    assert 'hunter2-secret' not in str(err.value) and 'admin:***@127.0.0.1' in str(err.value)


def test_tls_off_warning_names_the_host_only():
    text = tls_off_warning('https://admin:hunter2-secret@idp.example:8443/m.xml')
    assert text.startswith('TLS verification of the IdP metadata host idp.example is off because validate_certs '
                           'is false')
    assert 'hunter2-secret' not in text


# ---------------------------------------------------------------- issue 13: D12 download deadline and size cap

@pytest.fixture
def slow_server(tmp_path):
    """A loopback HTTPS server (127.0.0.1) that trickles: each handler is bounded (at most ~6 s of trickle) and
    stops at once when the test ends; the server is shut down by the fixture."""
    ca_path, cert_path = _tls_material(str(tmp_path))
    stop = threading.Event()
    body = _minimal([POST]).encode('utf-8')

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _trickle(self, data, pause=0.05, count=120):
            for index in range(min(len(data), count)):   # bounded: at most 120 bytes, about 6 s
                if stop.wait(pause):
                    return
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
            self.wfile.write(data[count:])

        def do_GET(self):
            try:
                if self.path == '/slow-body':
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.flush()
                    self._trickle(body)
                elif self.path == '/slow-body-short':
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.flush()
                    self._trickle(body, count=20)   # about 1 s
                elif self.path == '/slow-headers':
                    self.wfile.write(b'HTTP/1.0 200 OK\r\n')
                    self._trickle(b'X-Slow: ' + b'a' * 200 + b'\r\nContent-Length: 0\r\n\r\n')
                elif self.path == '/slow-redirects':
                    # each hop is quick (0.4 s), together they pass the deadline
                    stop.wait(0.4)
                    self.send_response(302)
                    self.send_header('Location', '/slow-redirects')
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                elif self.path == '/huge-no-length':
                    self.send_response(200)
                    self.end_headers()
                    for dummy in range(MAX_METADATA_BYTES // 65536 + 2):
                        if stop.is_set():
                            return
                        self.wfile.write(b'a' * 65536)
                else:
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
            except (OSError, ValueError):   # the client gave up: that is the point
                pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.1))
    thread.daemon = True
    thread.start()
    try:
        yield dict(url='https://127.0.0.1:%d' % server.server_address[1], ca_path=ca_path, body=body)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize('path', ['/slow-body', '/slow-headers', '/slow-redirects'])
def test_fetch_has_one_overall_deadline(slow_server, path):
    """A server that trickles (1 byte per 50 ms: about 6 s for the document) cannot hold a timeout=1 download."""
    start = time.monotonic()
    with pytest.raises(MetadataError, match=r'did not finish within the timeout of 1 s') as err:
        fetch_idp_metadata(slow_server['url'] + path, ca_path=slow_server['ca_path'], timeout=1)
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed   # deadline + the bounded waits for the download thread (0.5 s twice)
    assert 'idp_metadata' in str(err.value)


def test_fetch_within_the_deadline_still_works(slow_server):
    assert fetch_idp_metadata(slow_server['url'] + '/fast', ca_path=slow_server['ca_path'], timeout=5) == \
        slow_server['body'].decode('utf-8')
    # a trickle passes when the deadline allows it
    assert fetch_idp_metadata(slow_server['url'] + '/slow-body-short', ca_path=slow_server['ca_path'], timeout=10) == \
        slow_server['body'].decode('utf-8')


def test_fetch_size_cap_without_content_length(slow_server):
    with pytest.raises(MetadataError, match='larger than 5242880 bytes'):
        fetch_idp_metadata(slow_server['url'] + '/huge-no-length', ca_path=slow_server['ca_path'], timeout=20)
    with pytest.raises(MetadataError, match='larger than 100 bytes'):
        fetch_idp_metadata(slow_server['url'] + '/fast', ca_path=slow_server['ca_path'], timeout=5, max_bytes=100)
