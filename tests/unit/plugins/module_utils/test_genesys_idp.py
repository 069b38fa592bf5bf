# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the identity-provider domain (_genesys_provider_model) and the cores of
genesys_identity_provider / genesys_identity_provider_info, against recorded
API bodies and an in-memory fake of the API (genesys_idp_fake)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import json
import os
import re
import stat
import time

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_certs import load_certificates
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_info_core as info_core
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    bare,
    make_cert,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'idp-metadata')

# A real certificate (Okta preview org, from fixtures/idp-metadata/okta-app-metadata.xml), valid to 2028-09-07.
OKTA_FP = 'D4:0D:F0:1C:CE:DE:49:D2:07:CB:6D:8A:BD:15:77:0A:4B:6E:CA:14:A8:54:48:C2:95:9A:98:F8:5D:C3:1E:D4'


def _okta_fixture_b64():
    with open(os.path.join(FIXTURES, 'okta-app-metadata.xml')) as handle:
        text = handle.read()
    return ''.join(re.search(r'<ds:X509Certificate>(.*?)</ds:X509Certificate>', text, re.S).group(1).split())


OKTA_CERT = _okta_fixture_b64()


def _pem(b64):
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return '-----BEGIN CERTIFICATE-----\n' + '\n'.join(lines) + '\n-----END CERTIFICATE-----\n'


# Recorded bodies (shape of the real API / the emulator).
RECORDED_OKTA_GET = {
    'id': '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10',
    'name': 'Okta',
    'disabled': False,
    'issuerURI': 'http://www.okta.com/exkppsa1qwuFV4D7z0h7',
    'ssoTargetURI': 'https://dev-513394.oktapreview.com/app/x/exkppsa1qwuFV4D7z0h7/sso/saml',
    'certificate': _pem(OKTA_CERT).replace('\n', '\r\n'),
    'certificates': [OKTA_CERT],
    'nameIdentifierFormat': 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'ssoBinding': 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    'sloBinding': 'HTTP Redirect',
    'relyingPartyIdentifier': 'genesys.cloud.acme-prod',
    'logoImageData': base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode(),
    'selfUri': '/api/v2/identityproviders/okta',
}
RECORDED_LISTING = {
    'entities': [
        {'id': '0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10', 'name': 'Okta', 'disabled': False,
         'issuerURI': 'http://www.okta.com/exkppsa1qwuFV4D7z0h7', 'certificates': [OKTA_CERT],
         'selfUri': '/api/v2/identityproviders/okta'},
        {'id': '2b0d3c8e-7f41-4a5c-9e1d-5a6b7c8d9e0f', 'name': 'PureCloud', 'disabled': True,
         'selfUri': '/api/v2/identityproviders/purecloud'},
        {'id': '6c1e0f5a-2b7d-4c1e-9a53-0d1f2e3c4b5a', 'name': 'Partner IdP', 'disabled': False,
         'issuerURI': 'urn:partner', 'selfUri': '/api/v2/identityproviders/6c1e0f5a-2b7d-4c1e-9a53-0d1f2e3c4b5a'},
    ],
    'pageSize': 25, 'pageNumber': 1, 'total': 3, 'pageCount': 1, 'selfUri': '/api/v2/identityproviders',
}


def params(**kw):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s'))
    p.update(kw)
    return p


def run(api, check=False, **kw):
    ctx = RunContext(check_mode=check, diff_mode=True)
    return idp_core.core(params(**kw), ctx, client=api), ctx


def fail(api, check=False, **kw):
    with pytest.raises(GenesysModuleFail) as info:
        run(api, check=check, **kw)
    return info.value


def okta_args(**kw):
    args = dict(type='okta', issuer_uri='http://www.okta.com/exk1', sso_target_uri='https://acme.okta.com/sso',
                certificates=[make_cert('okta-1')])
    args.update(kw)
    return args


# ============================================================== types and options

def test_type_field_sets_follow_the_reference():
    assert idp.TYPE_FIELDS['purecloud'] == ('name', 'disabled')
    saml = set(idp.SAML_FIELDS)
    for ptype in ('adfs', 'cic', 'gsuite', 'identitynow', 'okta', 'onelogin', 'ping', 'salesforce'):
        assert set(idp.TYPE_FIELDS[ptype]) == saml
    assert set(idp.TYPE_FIELDS['generic']) == saml | {'endpointCompression'}
    assert set(idp.TYPE_FIELDS['custom']) == saml | {'endpointCompression'}
    assert set(idp.TYPE_FIELDS['pureengage']) == saml | {'autoProvisionUsers'}
    assert len(idp.PER_TYPE_TYPES) == 11


@pytest.mark.parametrize('ptype, option, expected', [
    ('okta', 'endpoint_compression', 'generic, custom'),
    ('generic', 'auto_provision_users', 'pureengage'),
    ('purecloud', 'issuer_uri', 'adfs, cic, generic, gsuite, identitynow, okta, onelogin, ping, pureengage, '
                                'salesforce, custom'),
])
def test_option_the_type_lacks_fails_naming_the_types_that_have_it(ptype, option, expected):
    with pytest.raises(idp.IdpError) as info:
        idp.validate_type_options(ptype, {option: 'x'})
    assert '%s (supported by: %s)' % (option, expected) in str(info.value)
    assert ptype in str(info.value)


def test_option_type_check_happens_before_any_request():
    api = FakeIdpApi()
    err = fail(api, type='okta', issuer_uri='x', endpoint_compression=True)
    assert 'endpoint_compression' in err.msg and 'generic, custom' in err.msg
    assert api.log == []


@pytest.mark.parametrize('value', ['HTTP-POST', 'http-post', 'post', 'POST', 'HTTP POST',
                                   'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'])
def test_sso_binding_spellings(value):
    assert idp.normalize_sso_binding(value) == 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'


def test_sso_binding_redirect_and_invalid():
    assert idp.normalize_sso_binding('HTTP-Redirect') == 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
    with pytest.raises(idp.IdpError):
        idp.normalize_sso_binding('SOAP')


@pytest.mark.parametrize('value, urn', [
    ('emailAddress', 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
    ('EMAILADDRESS', 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
    ('email', 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
    ('persistent', 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'),
    ('transient', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'),
    ('unspecified', 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'),
    ('urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos', 'urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos'),
])
def test_name_id_format_spellings(value, urn):
    assert idp.normalize_name_id_format(value) == urn


@pytest.mark.parametrize('value', ['mail', 'urn:oasis:names:tc:SAML:2.0:nameid-format:emailAddress'])
def test_name_id_format_invalid(value):
    with pytest.raises(idp.IdpError):
        idp.normalize_name_id_format(value)


def test_build_desired_maps_options_to_json():
    certs = load_certificates([make_cert('a')])
    desired = idp.build_desired('generic', dict(
        name='G', enabled=False, issuer_uri='urn:x', sso_target_uri='https://idp/sso', slo_binding='HTTP Post',
        sso_binding='redirect', name_identifier_format='persistent', endpoint_compression=True,
        certificates=['ignored-here']), certs)
    assert desired['disabled'] is True
    assert desired['issuerURI'] == 'urn:x'
    assert desired['sloBinding'] == 'HTTP Post'  # verbatim
    assert desired['ssoBinding'].endswith('HTTP-Redirect')
    assert desired['nameIdentifierFormat'].endswith(':persistent')
    assert desired['endpointCompression'] is True
    assert [c.fingerprint for c in desired['certificates']] == [certs[0].fingerprint]


def test_build_desired_rejects_http_target_too_many_certs_and_big_logo():
    with pytest.raises(idp.IdpError, match='https'):
        idp.build_desired('okta', dict(sso_target_uri='http://idp/sso'))
    certs = load_certificates([make_cert('c%d' % i) for i in range(6)])
    with pytest.raises(idp.IdpError, match='at most 5'):
        idp.build_desired('okta', dict(certificates=['x']), certs)
    with pytest.raises(idp.IdpError, match='25 kb'):
        idp.build_desired('generic', dict(logo_image_data='A' * (25 * 1024 + 4)))


# ============================================================== comparison

def test_certificates_compare_as_fingerprint_sets_whatever_the_armour():
    pem = _pem(OKTA_CERT)
    desired = idp.build_desired('okta', dict(certificates=['x']), load_certificates([pem.replace('\n', '\r\n')]))
    # API holds the PEM in 'certificate' and bare base64 in 'certificates': one cert, unchanged
    assert idp.changed_fields(RECORDED_OKTA_GET, desired) == []
    only_single = dict(RECORDED_OKTA_GET, certificates=None)
    assert idp.changed_fields(only_single, desired) == []
    only_list = dict(RECORDED_OKTA_GET, certificate=None)
    assert idp.changed_fields(only_list, desired) == []


def test_certificate_order_is_irrelevant_and_set_changes_are_seen():
    a, b, c = make_cert('a'), make_cert('b'), make_cert('c')
    current = {'certificates': [bare(a), bare(b)]}
    same = idp.build_desired('okta', dict(certificates=['x']), load_certificates([b, a]))
    assert idp.changed_fields(current, same) == []
    more = idp.build_desired('okta', dict(certificates=['x']), load_certificates([a, b, c]))
    assert idp.changed_fields(current, more) == ['certificates']
    fewer = idp.build_desired('okta', dict(certificates=['x']), load_certificates([b]))
    assert idp.changed_fields(current, fewer) == ['certificates']


def test_unparseable_api_certificate_counts_as_different():
    desired = idp.build_desired('okta', dict(certificates=['x']), load_certificates([_pem(OKTA_CERT)]))
    assert idp.changed_fields({'certificate': 'not-a-cert'}, desired) == ['certificates']
    assert idp.changed_fields({'certificates': [OKTA_CERT, 'garbage']}, desired) == ['certificates']


def test_only_user_set_options_are_compared_and_normalised():
    desired = idp.build_desired('okta', dict(name_identifier_format='emailAddress', sso_binding='HTTP-POST',
                                             enabled=True))
    assert idp.changed_fields(RECORDED_OKTA_GET, desired) == []
    # server-omitted booleans count as false
    assert idp.changed_fields({'issuerURI': 'x'}, idp.build_desired('okta', dict(sign_authn_requests=False))) == []
    assert idp.changed_fields({'issuerURI': 'x'}, idp.build_desired('okta', dict(sign_authn_requests=True))) == [
        'signAuthnRequests']


def test_slo_binding_is_compared_verbatim():
    urn = idp.build_desired('okta', dict(slo_binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'))
    assert idp.changed_fields(RECORDED_OKTA_GET, urn) == ['sloBinding']
    same = idp.build_desired('okta', dict(slo_binding='HTTP Redirect'))
    assert idp.changed_fields(RECORDED_OKTA_GET, same) == []


def test_urls_are_compared_as_given():
    desired = idp.build_desired('okta', dict(sso_target_uri=RECORDED_OKTA_GET['ssoTargetURI'] + '/'))
    assert idp.changed_fields(RECORDED_OKTA_GET, desired) == ['ssoTargetURI']


def test_everything_changes_when_absent():
    desired = idp.build_desired('okta', dict(issuer_uri='x', enabled=True))
    assert idp.changed_fields(None, desired) == ['disabled', 'issuerURI']


# ============================================================== payloads

def test_payload_keeps_fields_the_user_did_not_set():
    desired = idp.build_desired('okta', dict(sso_target_uri='https://new.example/sso'))
    body = idp.build_payload('okta', RECORDED_OKTA_GET, desired)
    assert body['ssoTargetURI'] == 'https://new.example/sso'
    for key in ('issuerURI', 'certificate', 'certificates', 'logoImageData', 'relyingPartyIdentifier', 'sloBinding',
                'nameIdentifierFormat', 'name', 'disabled'):
        assert body[key] == RECORDED_OKTA_GET[key]
    assert 'id' not in body and 'selfUri' not in body


def test_payload_sends_one_certificate_like_terraform():
    new = make_cert('new')
    desired = idp.build_desired('okta', dict(certificates=['x']), load_certificates([new]))
    body = idp.build_payload('okta', RECORDED_OKTA_GET, desired)
    assert body['certificate'] == bare(new)
    assert body['certificates'] == [bare(new)]


def test_payload_sends_several_certificates_in_the_list_only():
    a, b = make_cert('a'), make_cert('b')
    desired = idp.build_desired('okta', dict(certificates=['x']), load_certificates([a, b, a]))
    body = idp.build_payload('okta', RECORDED_OKTA_GET, desired)
    assert body['certificate'] is None
    assert body['certificates'] == [bare(a), bare(b)]


def test_payload_does_not_rewrite_unchanged_certificates():
    desired = idp.build_desired('okta', dict(certificates=['x'], name='Okta 2'), load_certificates([OKTA_CERT]))
    body = idp.build_payload('okta', RECORDED_OKTA_GET, desired)
    assert body['certificate'] == RECORDED_OKTA_GET['certificate']
    assert body['name'] == 'Okta 2'


def test_payload_never_adds_fields_of_other_types():
    desired = {'issuerURI': 'x', 'endpointCompression': True}
    assert 'endpointCompression' not in idp.build_payload('okta', None, desired, ['issuerURI', 'endpointCompression'])


# ============================================================== sanitising

def test_sanitize_never_shows_blobs():
    out = idp.sanitize('okta', RECORDED_OKTA_GET)
    text = json.dumps(out)
    assert OKTA_CERT[:40] not in text
    assert RECORDED_OKTA_GET['logoImageData'] not in text
    assert out['certificates'] == [{'fingerprint': OKTA_FP, 'subject': out['certificates'][0]['subject'],
                                    'not_after': '2028-09-07T14:33:59Z'}]
    assert 'CN=dev-513394' in out['certificates'][0]['subject']
    logo = base64.b64decode(RECORDED_OKTA_GET['logoImageData'])
    assert out['logo_image_data'] == {'size': len(logo), 'sha256': hashlib.sha256(logo).hexdigest()}
    assert out['enabled'] is True and 'disabled' not in out
    assert out['type'] == 'okta' and out['family'] == 'per_type' and out['id'] == RECORDED_OKTA_GET['id']
    assert out['sso_binding'] == RECORDED_OKTA_GET['ssoBinding']


def test_sanitize_unparseable_and_absent():
    out = idp.sanitize('custom', {'name': 'x', 'disabled': True, 'certificate': 'garbage'})
    assert out['enabled'] is False and out['family'] == 'custom'
    assert out['certificates'][0]['fingerprint'] is None and out['certificates'][0]['unparseable'] is True
    assert 'garbage' not in json.dumps(out)
    assert idp.sanitize('okta', None) == {}


def test_certificate_summaries_have_validity():
    summaries = idp.certificate_summaries(RECORDED_OKTA_GET)
    assert len(summaries) == 1
    assert set(summaries[0]) == {'fingerprint', 'subject', 'issuer', 'not_before', 'not_after', 'days_left',
                                 'key_type'}
    assert summaries[0]['key_type'] == 'RSA 2048'


# ============================================================== listing, SP values, guard, errors

def test_listing_follows_next_uri_and_stops_at_the_last_page_or_the_page_limit():
    pages = {
        '/api/v2/identityproviders': dict(entities=[{'id': 'a'}, 'junk'], pageNumber=1, pageCount=2,
                                          nextUri='https://api.example/api/v2/identityproviders?pageNumber=2'),
        '/api/v2/identityproviders?pageNumber=2': dict(entities=[{'id': 'b'}], pageNumber=2, pageCount=2,
                                                       nextUri='https://api.example/api/v2/identityproviders?pageNumber=3'),
    }
    asked = []
    assert idp.list_entities(lambda path: asked.append(path) or pages[path]) == [{'id': 'a'}, {'id': 'b'}]
    assert asked == ['/api/v2/identityproviders', '/api/v2/identityproviders?pageNumber=2']  # page 2 of 2: done
    endless = dict(entities=[{'id': 'x'}], pageNumber=1, pageCount=99, nextUri='/api/v2/identityproviders')
    assert len(idp.list_entities(lambda path: endless)) == idp.MAX_LIST_PAGES  # bounded


def test_classify_listing_entities():
    kinds = [idp.classify_entity(e) for e in RECORDED_LISTING['entities']]
    assert kinds == [('per_type', 'okta'), ('per_type', 'purecloud'), ('custom', 'custom')]
    assert idp.classify_entity({'id': 'adfs'}) == ('per_type', 'adfs')


def test_service_provider_values_for_a_region_and_an_emulator():
    sp = idp.service_provider(domain='mypurecloud.ie', login_url='https://ignored', org_short_name='acme-prod')
    assert sp['acs_url'] == 'https://login.mypurecloud.ie/saml'
    assert sp['slo_url'] == 'https://login.mypurecloud.ie/saml/logout'
    # no relying party identifier held: no audience handed over, only the suggestion to set on the provider
    assert sp['entity_id'] is None and sp['audience'] is None and sp['entity_id_source'] == 'none'
    assert sp['suggested_entity_id'] == 'genesys.cloud.acme-prod'
    assert sp['acs_binding'].endswith(':HTTP-POST') and sp['attribute_name_format'].endswith(':unspecified')
    attrs = dict((a['name'], a) for a in sp['attributes'])
    assert attrs['OrganizationName']['value'] == 'acme-prod' and attrs['email']['required']
    assert attrs['ServiceName']['required'] is False
    emu = idp.service_provider(login_url='https://127.0.0.1:8443/', relying_party_identifier='my-rp')
    assert emu['acs_url'] == 'https://127.0.0.1:8443/saml'
    assert emu['entity_id'] == 'my-rp' and emu['entity_id_source'] == 'relying_party_identifier'
    assert idp.service_provider(domain='x')['entity_id'] is None


def _ent(selfuri, disabled=False, name=None, pid=None):
    return {'id': pid or selfuri, 'name': name or selfuri, 'disabled': disabled,
            'selfUri': '/api/v2/identityproviders/' + selfuri}


def test_guard_refuses_disabling_the_last_enabled_provider_when_the_login_is_off():
    entities = [_ent('okta'), _ent('purecloud', disabled=True)]
    before = entities[0]
    msg = idp.lockout_check(entities, 'okta', None, before, dict(before, disabled=True))
    assert msg and 'disable' in msg and 'force=true' in msg and 'locked out' in msg
    msg = idp.lockout_check(entities, 'okta', None, before, None)
    assert msg and 'delete' in msg


def test_guard_allows_when_another_way_in_exists():
    before = _ent('okta')
    assert idp.lockout_check([before, _ent('purecloud')], 'okta', None, before, None) is None
    assert idp.lockout_check([before], 'okta', None, before, None) is None  # no purecloud entry: login enabled
    other = _ent('x-id', pid='x-id', name='Other')
    assert idp.lockout_check([before, other, _ent('purecloud', True)], 'okta', None, before, None) is None
    disabled = _ent('okta', disabled=True)
    assert idp.lockout_check([disabled, _ent('purecloud', True)], 'okta', None, disabled, None) is None


def test_guard_for_custom_and_for_the_genesys_login():
    custom = _ent('c1', pid='c1', name='Corp')
    entities = [custom, _ent('purecloud', disabled=True)]
    assert 'Corp' in idp.lockout_check(entities, 'custom', 'c1', custom, None)
    # disabling the Genesys Cloud login while no SAML provider is enabled
    pc = _ent('purecloud')
    msg = idp.lockout_check([pc, _ent('okta', disabled=True)], 'purecloud', None, pc, dict(pc, disabled=True))
    assert msg and 'Genesys Cloud login' in msg
    assert idp.lockout_check([], 'purecloud', None, None, {'disabled': True})  # absent entry = enabled login
    assert idp.lockout_check([pc, _ent('okta')], 'purecloud', None, pc, dict(pc, disabled=True)) is None


def test_api_errors_get_cause_fix_and_correlation_id():
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_api import describe_api_error
    err = GenesysError(status=400, code='invalid.target.url', message='The target URL must be a valid HTTPS URL.',
                       correlation_id='abc-123', method='PUT', path='/api/v2/identityproviders/okta')
    msg = describe_api_error(err, 'update the okta identity provider')
    assert msg.startswith('Failed to update the okta identity provider: HTTP 400 invalid.target.url')
    assert 'Cause:' in msg and 'Fix: set sso_target_uri' in msg and 'Correlation id: abc-123.' in msg
    limit = GenesysError(status=400, code='bad.request', message='The maximum number of 30 single sign-on '
                         'integrations for this organization has been reached.', correlation_id='x')
    assert 'delete a provider' in describe_api_error(limit, 'create the custom provider')
    other = GenesysError(status=403, code='missing.permissions', message='needs sso:provider:edit',
                         correlation_id='y', method='PUT', path='/p')
    assert 'sso:provider:edit' in describe_api_error(other, 'update x')


# ============================================================== core: per-type lifecycle

def test_create_then_converged_rerun_sends_no_write():
    api = FakeIdpApi()
    result, ctx = run(api, **okta_args(name_identifier_format='emailAddress', org_short_name='acme-prod'))
    assert result['changed'] is True
    assert [w[:2] for w in api.writes()] == [('PUT', '/api/v2/identityproviders/okta')]
    body = api.writes()[0][2]
    assert body['certificate'] == body['certificates'][0]
    assert result['provider']['issuer_uri'] == 'http://www.okta.com/exk1'
    assert result['provider']['id'] == api.state('okta')['id']
    assert result['service_provider']['acs_url'] == 'https://login.mypurecloud.ie/saml'
    assert result['service_provider']['organization_short_name'] == 'acme-prod'
    assert result['certificates'][0]['subject'] == 'CN=okta-1'
    api.log[:] = []
    again, ctx = run(api, **okta_args(name_identifier_format='urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'))
    assert again['changed'] is False and api.writes() == []
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders/okta'), ('GET', '/api/v2/organizations/me')]
    assert again['diff']['before'] == again['diff']['after']
    # without org_short_name and preserved clients, the converged run reads the org once for OrganizationName
    assert again['service_provider']['organization_short_name'] == api.org_short_name
    assert again['organization']['short_name'] == api.org_short_name


def test_check_mode_reports_the_same_changed_and_diff_and_writes_nothing():
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)})
    args = okta_args(enabled=False)
    args['certificates'] = [OKTA_CERT, make_cert('new')]
    checked, dummy = run(api, check=True, force=True, **args)
    assert api.writes() == []
    real, dummy = run(api, force=True, **args)
    assert checked['changed'] is real['changed'] is True
    assert checked['diff'] == real['diff']
    expected = ['certificates', 'enabled', 'issuer_uri', 'sso_target_uri']
    assert checked['changed_options'] == real['changed_options'] == expected
    assert len(api.writes()) == 1
    body = api.writes()[0][2]
    assert body['logoImageData'] == RECORDED_OKTA_GET['logoImageData']  # kept, never wiped
    assert body['certificate'] is None and len(body['certificates']) == 2


def test_update_one_field_keeps_the_rest():
    api = FakeIdpApi()
    run(api, **okta_args(relying_party_identifier='rp-1', slo_uri='https://acme.okta.com/slo'))
    result, dummy = run(api, type='okta', slo_uri='https://acme.okta.com/slo2')
    assert result['changed'] is True and result['changed_options'] == ['slo_uri']
    state = api.state('okta')
    assert state['sloURI'] == 'https://acme.okta.com/slo2'
    assert state['relyingPartyIdentifier'] == 'rp-1' and state['issuerURI'] == 'http://www.okta.com/exk1'
    assert result['service_provider']['entity_id'] == 'rp-1'


def test_certificate_rotation_add_overlap_remove():
    api = FakeIdpApi()
    old, new = make_cert('old'), make_cert('new', kind='rsa')
    run(api, **okta_args(certificates=[old]))
    overlap, dummy = run(api, type='okta', certificates=[old, new])
    assert overlap['changed'] and len(overlap['provider']['certificates']) == 2
    assert run(api, type='okta', certificates=[new.replace('\n', '\r\n'), old])[0]['changed'] is False
    final, dummy = run(api, type='okta', certificates=[bare(new)])
    assert final['changed'] and [c['subject'] for c in final['certificates']] == ['CN=new']
    state = api.state('okta')
    assert state['certificate'] == bare(new) and state['certificates'] == [bare(new)]
    assert run(api, type='okta', certificates=[new])[0]['changed'] is False


def test_absent_then_absent_again():
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)})
    result, dummy = run(api, type='okta', state='absent')
    assert result['changed'] is True and result['provider'] == {} and result['diff']['after'] == {}
    assert result['diff']['before']['name'] == 'Okta'
    assert ('DELETE', '/api/v2/identityproviders/okta', None) in api.log
    api.log[:] = []
    again, dummy = run(api, type='okta', state='absent')
    assert again['changed'] is False and api.writes() == []


def test_create_needs_an_issuer_before_any_write():
    api = FakeIdpApi()
    err = fail(api, type='okta', sso_target_uri='https://idp/sso')
    assert 'issuer_uri' in err.msg and api.writes() == []


def test_purecloud_has_no_service_provider_values():
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'x'}})
    result, dummy = run(api, type='purecloud', enabled=False)
    assert result['changed'] and result['service_provider'] is None
    assert api.state('purecloud')['disabled'] is True


# ============================================================== core: custom providers

def test_custom_provider_found_by_name_never_duplicated():
    api = FakeIdpApi()
    args = dict(type='custom', name='Partner IdP', issuer_uri='urn:p', sso_target_uri='https://p/sso',
                endpoint_compression=True, certificates=[make_cert('p')])
    created, dummy = run(api, **args)
    assert created['changed'] and created['id'] and api.writes()[0][:2] == ('POST', '/api/v2/identityproviders')
    api.log[:] = []
    again, dummy = run(api, org_short_name='acme-prod', **args)  # the short name given: no read of the org
    assert again['changed'] is False and again['id'] == created['id']
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders'),
                                        ('GET', '/api/v2/identityproviders/%s' % created['id'])]
    updated, dummy = run(api, type='custom', name='Partner IdP', display_on_login=True)
    assert updated['changed'] and api.writes()[-1][:2] == ('PUT', '/api/v2/identityproviders/%s' % created['id'])
    assert len(api.custom_by_name('Partner IdP')) == 1
    assert api.state('custom', created['id'])['endpointCompression'] is True


def test_custom_by_id_renames_and_missing_id_fails():
    api = FakeIdpApi(custom=[{'name': 'Old', 'issuerURI': 'urn:o'}])
    pid = list(api.custom)[0]
    result, dummy = run(api, type='custom', id=pid, name='New')
    assert result['changed'] and api.state('custom', pid)['name'] == 'New'
    err = fail(api, type='custom', id='nope', name='X', issuer_uri='u')
    assert 'No custom identity provider has the id nope' in err.msg
    gone, dummy = run(api, type='custom', id='nope', state='absent')
    assert gone['changed'] is False


def test_ambiguous_custom_name_fails():
    api = FakeIdpApi(custom=[{'name': 'Twin', 'issuerURI': 'a'}, {'name': 'Twin', 'issuerURI': 'b'}])
    err = fail(api, type='custom', name='Twin', issuer_uri='a')
    assert '2 custom identity providers are named' in err.msg and 'Give id' in err.msg and 'state=absent' in err.msg


def test_custom_limit_is_checked_before_posting():
    api = FakeIdpApi(custom=[{'name': 'P%02d' % i, 'issuerURI': 'u'} for i in range(30)])
    err = fail(api, check=True, type='custom', name='One more', issuer_uri='u')
    assert '30' in err.msg and 'Delete one' in err.msg and api.writes() == []


def test_custom_delete_by_name():
    api = FakeIdpApi(custom=[{'name': 'Corp', 'issuerURI': 'u'}])
    pid = list(api.custom)[0]
    result, dummy = run(api, type='custom', name='Corp', state='absent')
    assert result['changed'] and ('DELETE', '/api/v2/identityproviders/%s' % pid, None) in api.log
    assert api.custom == {}


# ============================================================== core: guard, consistency, errors

def test_guard_refusal_and_force():
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'x', 'name': 'Okta'}, 'purecloud': {'disabled': True}})
    err = fail(api, type='okta', enabled=False)
    assert 'Refusing to disable' in err.msg and api.writes() == []
    assert fail(api, check=True, type='okta', state='absent').msg.startswith('Refusing to delete')
    result, dummy = run(api, type='okta', enabled=False, force=True)
    assert result['changed'] and api.state('okta')['disabled'] is True


def test_guard_costs_no_listing_when_nothing_is_disabled():
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'x'}})
    run(api, type='okta', name='Renamed')
    assert ('GET', '/api/v2/identityproviders', None) not in api.log


def test_eventual_consistency_404_after_write_is_waited_out(monkeypatch):
    slept = []
    monkeypatch.setattr(time, 'sleep', slept.append)
    api = FakeIdpApi(not_found_reads_after_write=3)
    result, ctx = run(api, **okta_args())
    assert result['changed'] and result['provider']['issuer_uri'] == 'http://www.okta.com/exk1'
    assert len(slept) == 3 and ctx.warnings == []
    assert [w[0] for w in api.writes()] == ['PUT']  # never re-created on a read


def test_consistency_timeout_fails_past_the_budget_without_a_second_write(monkeypatch):
    monkeypatch.setattr(time, 'sleep', lambda s: None)
    api = FakeIdpApi(not_found_reads_after_write=1000)
    err = fail(api, consistency_timeout=0, **okta_args())
    assert 'was written at' in err.msg and 'issuer_uri' in err.msg   # what was written
    assert [w[0] for w in api.writes()] == ['PUT']


def test_listed_but_not_yet_readable_is_never_recreated(monkeypatch):
    monkeypatch.setattr(time, 'sleep', lambda s: None)
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)},
                     custom=[{'name': 'Corp', 'issuerURI': 'urn:c', 'endpointCompression': True}])
    api._pending_404 = 2
    result, dummy = run(api, type='okta', name='Okta renamed')
    body = api.writes()[-1][2]
    assert result['changed'] and body['logoImageData'] == RECORDED_OKTA_GET['logoImageData']  # merged, not rebuilt
    api._pending_404 = 2
    result, dummy = run(api, type='custom', name='Corp', display_on_login=True)
    assert [w[0] for w in api.writes()] == ['PUT', 'PUT'] and len(api.custom) == 1
    assert api.custom_by_name('Corp')[0]['endpointCompression'] is True
    api._pending_404 = 1000
    err = fail(api, type='custom', name='Corp', display_on_login=False, consistency_timeout=0)
    assert 'listed by Genesys Cloud but could not be read' in err.msg and len(api.writes()) == 2


def test_api_400_is_surfaced_with_cause_and_fix():
    api = FakeIdpApi()
    api.fail_next = ('PUT', 400, 'certificate.expired', 'The certificate has expired.')
    err = fail(api, **okta_args())
    assert 'HTTP 400 certificate.expired' in err.msg and 'Fix:' in err.msg
    assert 'Correlation id: cid-certificate.expired' in err.msg
    assert err.extra['code'] == 'certificate.expired' and err.extra['status'] == 400


def test_expired_certificate_fails_before_any_request_unless_allowed():
    api = FakeIdpApi()
    expired = make_cert('expired', start_days=-30, end_days=-1)
    err = fail(api, **okta_args(certificates=[expired]))
    assert 'expired' in err.msg and api.log == []
    result, ctx = run(api, allow_expired_certificates=True, **okta_args(certificates=[expired]))
    assert result['changed'] and any('expired' in w for w in ctx.warnings)


def test_expiring_certificate_warns_with_subject_and_date():
    api = FakeIdpApi()
    soon = make_cert('soon', end_days=10)
    dummy, ctx = run(api, **okta_args(certificates=[soon]))
    assert any('CN=soon' in w and 'expires on' in w for w in ctx.warnings)


def test_unparseable_certificate_fails_before_any_request():
    api = FakeIdpApi()
    err = fail(api, **okta_args(certificates=['definitely not a certificate']))
    assert err.msg.startswith('Invalid certificates') and api.log == []


# ============================================================== core: backup and restore

def test_backup_then_restore_puts_the_provider_back(tmp_path):
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)})
    backup_dir = tmp_path / 'backups'
    changed, dummy = run(api, type='okta', certificates=[make_cert('rot')], sso_target_uri='https://new/sso',
                         backup=True, backup_dir=str(backup_dir))
    path = changed['backup_file']
    assert path and os.path.dirname(path) == str(backup_dir)
    assert re.match(r'acme-prod_okta_\d{8}T\d{12}Z\.json$', os.path.basename(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(backup_dir)).st_mode) == 0o700
    with open(path) as handle:
        saved = json.load(handle)
    assert saved['type'] == 'okta' and saved['provider']['ssoTargetURI'] == RECORDED_OKTA_GET['ssoTargetURI']
    checked, dummy = run(api, check=True, type=None, restore_from=path)
    assert checked['changed'] is True
    restored, dummy = run(api, type=None, restore_from=path)
    assert restored['diff'] == checked['diff']
    state = api.state('okta')
    for key in ('ssoTargetURI', 'certificate', 'certificates', 'logoImageData', 'sloBinding'):
        assert state[key] == RECORDED_OKTA_GET[key]
    assert run(api, type=None, restore_from=path)[0]['changed'] is False


def test_backup_of_an_absent_provider_restores_to_absent(tmp_path):
    api = FakeIdpApi()
    created, dummy = run(api, backup=True, backup_dir=str(tmp_path), **okta_args())
    assert api.state('okta') is not None
    restored, dummy = run(api, type=None, restore_from=created['backup_file'])
    assert restored['changed'] and api.state('okta') is None


def test_custom_restore_recreates_a_deleted_provider(tmp_path):
    api = FakeIdpApi(custom=[{'name': 'Corp', 'issuerURI': 'urn:c', 'endpointCompression': True}])
    deleted, dummy = run(api, type='custom', name='Corp', state='absent', backup=True, backup_dir=str(tmp_path))
    assert 'custom-Corp' in os.path.basename(deleted['backup_file'])
    restored, dummy = run(api, type=None, restore_from=deleted['backup_file'])
    assert restored['changed'] and len(api.custom_by_name('Corp')) == 1
    assert api.custom_by_name('Corp')[0]['endpointCompression'] is True
    assert run(api, type=None, restore_from=deleted['backup_file'])[0]['changed'] is False


def test_no_backup_in_check_mode_or_without_change(tmp_path):
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)})
    result, dummy = run(api, check=True, type='okta', name='x', backup=True, backup_dir=str(tmp_path))
    assert result['changed'] and result['backup_file'] is None and os.listdir(str(tmp_path)) == []
    result, dummy = run(api, type='okta', name='Okta', backup=True, backup_dir=str(tmp_path))
    assert result['changed'] is False and result['backup_file'] is None


def test_restore_rejects_foreign_files_and_type_mismatch(tmp_path):
    bad = tmp_path / 'x.json'
    bad.write_text('{"hello": 1}')
    assert 'not a genesys_identity_provider backup' in fail(FakeIdpApi(), type=None, restore_from=str(bad)).msg
    good = tmp_path / 'y.json'
    good.write_text(json.dumps(dict(format=idp_core.BACKUP_FORMAT, version=1, type='okta', provider=None)))
    assert 'holds a okta provider' in fail(FakeIdpApi(), type='adfs', restore_from=str(good)).msg


# ============================================================== core: metadata import

def test_metadata_fills_unset_options_and_explicit_ones_win():
    with open(os.path.join(FIXTURES, 'onelogin-idp-metadata.xml')) as handle:
        xml = handle.read()
    api = FakeIdpApi()
    result, dummy = run(api, type='onelogin', idp_metadata=xml, sso_binding='HTTP-Redirect',
                        name_identifier_format='emailAddress', allow_expired_certificates=True)
    state = api.state('onelogin')
    assert state['issuerURI'] == 'https://app.onelogin.com/saml/metadata/645460'
    assert state['ssoTargetURI'] == 'https://example.onelogin.com/trust/saml2/http-redirect/sso/645460'
    assert state['sloURI'] == 'https://example.onelogin.com/trust/saml2/http-redirect/slo/645460'
    assert state['nameIdentifierFormat'].endswith(':emailAddress')  # explicit option wins
    fps = [c['fingerprint'] for c in result['certificates']]
    assert fps == ['E5:52:D9:2C:3C:DC:3D:09:5C:90:76:82:AB:B6:75:B4:92:92:2C:42:87:7E:18:EB:17:F3:1F:39:FE:9F:7C:6A']
    assert 'issuer_uri' in result['metadata']['filled_options']
    assert 'name_identifier_format' not in result['metadata']['filled_options']
    again, dummy = run(api, type='onelogin', idp_metadata=xml, sso_binding='HTTP-Redirect',
                       name_identifier_format='emailAddress', allow_expired_certificates=True)
    assert again['changed'] is False


@pytest.mark.parametrize('fixture, expected', [
    ('shibboleth-testshib-entitiesdescriptor.xml', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'),
    # Okta lists unspecified before emailAddress: emailAddress is preferred when offered (issue 16)
    ('okta-app-metadata.xml', 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
])
def test_metadata_name_id_format_skips_formats_genesys_does_not_accept(fixture, expected):
    with open(os.path.join(FIXTURES, fixture)) as handle:
        xml = handle.read()
    api = FakeIdpApi()
    result, dummy = run(api, type='generic', name='G', idp_metadata=xml, allow_expired_certificates=True)
    assert result['changed'] and api.state('generic')['nameIdentifierFormat'] == expected


def test_metadata_with_several_idps_needs_idp_entity_id():
    with open(os.path.join(FIXTURES, 'federation-signed-entitiesdescriptor.xml')) as handle:
        xml = handle.read()
    err = fail(FakeIdpApi(), type='generic', name='G', idp_metadata=xml, allow_expired_certificates=True)
    assert err.msg.startswith('Cannot use the IdP metadata')
    api = FakeIdpApi()
    run(api, type='generic', name='G', idp_metadata=xml, idp_entity_id='https://idp.fccn.pt/idp/shibboleth',
        allow_expired_certificates=True)
    assert api.state('generic')['issuerURI'] == 'https://idp.fccn.pt/idp/shibboleth'
    assert api.state('generic')['ssoTargetURI'] == 'https://idp.fccn.pt/idp/profile/SAML2/POST/SSO'


def test_broken_metadata_fails_clearly_before_any_request():
    with open(os.path.join(FIXTURES, 'sp-only-no-idpssodescriptor.xml')) as handle:
        xml = handle.read()
    api = FakeIdpApi()
    err = fail(api, type='generic', name='G', idp_metadata=xml)
    assert err.msg.startswith('Cannot use the IdP metadata') and api.log == []


# ============================================================== info core

def info(api, **kw):
    p = dict((k, v.get('default')) for k, v in info_core.SPEC['argument_spec'].items())
    p.update(kw)
    return info_core.core(p, RunContext(), client=api)


def test_info_lists_both_families_with_one_request():
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET), 'purecloud': {'disabled': True}},
                     custom=[{'name': 'Corp', 'issuerURI': 'urn:c', 'certificates': [bare(make_cert('corp'))]}])
    result = info(api)
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders')]
    kinds = [(p['family'], p['type'], p.get('name')) for p in result['providers']]
    assert kinds == [('per_type', 'okta', 'Okta'), ('per_type', 'purecloud', None), ('custom', 'custom', 'Corp')]
    okta = result['providers'][0]
    assert okta['certificates'][0]['fingerprint'] == OKTA_FP and 'days_left' in okta['certificates'][0]
    assert result['providers'][1]['enabled'] is False
    assert OKTA_CERT[:40] not in json.dumps(result)
    assert result['changed'] is False and 'organization' not in result


def test_list_providers_gives_the_info_overview_and_lists_once_on_a_create():
    api = FakeIdpApi(providers={'purecloud': {}},
                     custom=[{'name': 'Corp', 'issuerURI': 'urn:c', 'certificates': [bare(make_cert('corp'))]}])
    expected = info(api)['providers']
    api.log[:] = []
    result, ctx = run(api, list_providers=True, backup=False, **okta_args())
    assert result['providers'] == expected  # the overview as genesys_identity_provider_info gives it
    assert [(p['type'], p.get('name')) for p in result['providers']] == [('purecloud', None), ('custom', 'Corp')]
    listings = [e for e in api.log if e[:2] == ('GET', '/api/v2/identityproviders')]
    assert len(listings) == 1  # the 404 of the per-type read is checked against the same listing
    # the org (short name: the per-org lock, service_provider) is read before the write; after the write ONE
    # read-back, settle_delay later: it verifies the write and is the concurrent-change check (no second read)
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders'), ('GET', '/api/v2/identityproviders/okta'),
                                        ('GET', '/api/v2/organizations/me'),
                                        ('PUT', '/api/v2/identityproviders/okta'), ('GET', '/api/v2/identityproviders/okta')]
    assert result['read_back'] is True
    assert result['organization']['short_name'] == 'acme-prod'


def test_without_list_providers_there_is_no_overview_and_no_listing_when_converged():
    api = FakeIdpApi()
    run(api, org_short_name='acme-prod', **okta_args())
    api.log[:] = []
    again, ctx = run(api, org_short_name='acme-prod', **okta_args())
    assert 'providers' not in again and 'read_back' not in again
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders/okta')]


def test_read_back_is_false_when_the_write_cannot_be_read(monkeypatch):
    # past the consistency budget the task fails (issue 14: a failure only past the budget), saying what was
    # written and how to check it; the failure still carries read_back, changed and the organization
    monkeypatch.setattr(time, 'sleep', lambda s: None)
    api = FakeIdpApi(not_found_reads_after_write=1000)
    err = fail(api, consistency_timeout=0, org_short_name='acme-prod', **okta_args())
    assert err.extra['changed'] and err.extra['read_back'] is False and err.extra['failed_step'] == 'verify'
    assert 'did not show it within 0' in err.msg and 'genesys_identity_provider_info (type=okta)' in err.msg
    assert err.extra['organization'] == dict(short_name='acme-prod', id=None, name=None)


def test_info_filters_and_single_reads():
    api = FakeIdpApi(providers={'okta': dict(RECORDED_OKTA_GET)},
                     custom=[{'name': 'Soon', 'issuerURI': 'u', 'certificates': [bare(make_cert('s', end_days=5))]}])
    expiring = info(api, expiring_within_days=30)
    assert [p.get('name') for p in expiring['providers']] == ['Soon']
    assert info(api, expiring_within_days=10000)['providers'][0]['type'] == 'okta'
    api.log[:] = []
    one = info(api, type='okta')
    assert [e[:2] for e in api.log] == [('GET', '/api/v2/identityproviders/okta')]
    assert one['providers'][0]['logo_image_data']['size'] > 0
    assert info(api, type='adfs')['providers'] == []
    assert [p['name'] for p in info(api, type='custom', name='Soon')['providers']] == ['Soon']
    pid = list(api.custom)[0]
    assert info(api, id=pid)['providers'][0]['family'] == 'custom'
    assert info(api, id='missing')['providers'] == []
    org = info(api, include_organization=True)['organization']
    assert org['short_name'] == 'acme-prod' and org['id'] == 'org-id-1'


def test_info_api_error_is_described():
    api = FakeIdpApi()
    api.fail_next = ('GET', 403, 'missing.any.permissions', 'requires sso:provider:view')
    with pytest.raises(GenesysModuleFail) as exc:
        info(api)
    assert 'sso:provider:view' in exc.value.msg and exc.value.extra['status'] == 403


def test_specs_are_consistent_with_the_domain():
    spec = idp_core.SPEC['argument_spec']
    for option in idp.PROVIDER_OPTIONS:
        assert option in spec
    assert spec['type']['choices'] == list(idp.ALL_TYPES)
    assert spec['backup_dir']['default'] == '~/.ansible/genesyscloud_sso_backups'
    assert copy.deepcopy(idp_core.SPEC)['supports_check_mode'] is True
