# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests written for the mutants of the safety code that survived ``make mutation`` (issue 13 E16).

Each test names the behaviour it pins; the mutants it kills are listed in docs/mutation.md.  Areas:
the lockout guard, id / path building, the backup-restore checks, secret masking, the TLS / URL rules
of the client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import threading

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_common as common
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_backup
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi

MASK = common.MASK


def _ent(last, disabled=False, name=None, pid=None):
    return {'id': pid or last, 'name': name or last, 'disabled': disabled,
            'selfUri': '/api/v2/identityproviders/' + last}


# ====================================================================== lockout guard (domain)

def test_creating_a_disabled_provider_never_counts_as_a_lockout():
    # nothing was enabled before (the provider did not exist), so nothing is taken away
    assert idp.lockout_check([_ent('purecloud', disabled=True)], 'okta', None, None, {'disabled': True}) is None


def test_a_change_that_keeps_the_target_enabled_is_never_refused():
    okta = _ent('okta')
    assert idp.lockout_check([okta, _ent('purecloud', disabled=True)], 'okta', None, okta,
                             dict(okta, name='Renamed')) is None


def test_deleting_the_purecloud_entry_is_never_refused():
    # deleting the entry restores the platform default: the Genesys Cloud login is enabled again
    pc = _ent('purecloud')
    assert idp.lockout_check([pc, _ent('okta', disabled=True)], 'purecloud', None, pc, None) is None


def test_only_the_target_custom_provider_is_left_out_of_the_other_enabled_ones():
    corp = _ent('c-1', name='Corp', pid='c-1')
    partner = _ent('c-2', name='Partner', pid='c-2')
    pc_off = _ent('purecloud', disabled=True)
    # another enabled custom provider keeps a way in
    assert idp.lockout_check([corp, partner, pc_off], 'custom', 'c-1', corp, dict(corp, disabled=True)) is None
    # ... and only the target is skipped: with the other one disabled too it is refused
    msg = idp.lockout_check([corp, dict(partner, disabled=True), pc_off], 'custom', 'c-1', corp,
                            dict(corp, disabled=True))
    assert msg and "'Corp'" in msg and 'disable' in msg


def test_an_enabled_listing_entry_without_id_still_counts_as_a_way_in():
    okta = _ent('okta')
    partner = {'name': 'Partner', 'disabled': False}      # no id, no selfUri: a custom provider of the listing
    assert idp.lockout_check([okta, partner, _ent('purecloud', disabled=True)], 'okta', None, okta,
                             dict(okta, disabled=True)) is None


# ====================================================================== lockout guard (core, post-write)

def test_post_write_guard_per_type_provider_counts_the_other_providers_and_the_login():
    has = idp.org_has_sign_in
    okta_off = dict(_ent('okta'), disabled=True)
    # the listing still shows the target enabled (lag): only after_obj counts for the target
    assert has([_ent('okta'), _ent('purecloud', disabled=True)], 'okta', None, okta_off) is False
    assert has([_ent('okta'), _ent('gsuite'), _ent('purecloud', disabled=True)], 'okta', None, okta_off) is True
    assert has([_ent('okta'), _ent('purecloud')], 'okta', None, okta_off) is True
    assert has([_ent('okta')], 'okta', None, okta_off) is True            # no purecloud entry: login enabled
    assert has([_ent('purecloud', disabled=True)], 'okta', None, _ent('okta')) is True


def test_post_write_guard_custom_target_skips_only_itself():
    has = idp.org_has_sign_in
    corp_off = dict(_ent('c-1', name='Corp', pid='c-1'), disabled=True)
    pc_off = _ent('purecloud', disabled=True)
    assert has([_ent('c-1', pid='c-1'), pc_off], 'custom', 'c-1', corp_off) is False
    assert has([_ent('c-1', pid='c-1'), _ent('c-2', pid='c-2'), pc_off], 'custom', 'c-1', corp_off) is True
    # a per-type okta is another way in when a custom provider is the target
    assert has([_ent('okta'), pc_off], 'custom', 'c-1', corp_off) is True
    # an enabled per-type provider of another type counts for a per-type target after it in the listing
    assert has([_ent('okta', disabled=True), _ent('purecloud', disabled=True), _ent('gsuite')], 'okta', None,
               dict(_ent('okta'), disabled=True)) is True


def test_post_write_guard_for_the_genesys_login_itself():
    has = idp.org_has_sign_in
    okta_off = _ent('okta', disabled=True)
    assert has([okta_off], 'purecloud', None, None) is True                       # entry deleted: default on
    assert has([okta_off], 'purecloud', None, {'disabled': False}) is True
    assert has([okta_off], 'purecloud', None, {'disabled': True}) is False
    assert has([okta_off, _ent('gsuite')], 'purecloud', None, {'disabled': True}) is True


# ====================================================================== ids and paths

@pytest.mark.parametrize('entity, expected', [
    ({'type': 'OKTA', 'id': '0c7a9a54', 'selfUri': '/api/v2/identityproviders/0c7a9a54'}, ('per_type', 'okta')),
    ({'providerType': 'Okta', 'id': '0c7a9a54', 'selfUri': '/api/v2/identityproviders/0c7a9a54'},
     ('per_type', 'okta')),
    ({'type': 'Custom', 'id': 'okta', 'selfUri': '/api/v2/identityproviders/okta'}, ('custom', 'custom')),
    ({'providerType': 'CUSTOM', 'id': 'okta', 'selfUri': '/api/v2/identityproviders/okta'}, ('custom', 'custom')),
    ({'type': 'saml-thing', 'id': '0c7a9a54', 'selfUri': '/api/v2/identityproviders/okta'}, ('per_type', 'okta')),
    ({'id': '0c7a9a54', 'selfUri': '/api/v2/identityproviders/okta/'}, ('per_type', 'okta')),
    ({'id': '0c7a9a54', 'selfUri': '/api/v2/identityproviders/0c7a9a54'}, ('custom', 'custom')),
    ({'id': 'GSuite'}, ('per_type', 'gsuite')),
])
def test_classify_entity_explicit_type_fields_win_and_self_uri_decides(entity, expected):
    assert idp.classify_entity(entity) == expected


@pytest.mark.parametrize('value, problem', [
    (123, "it is a int, not a string"),
    ('', 'it is empty'),
    ('a' * 65, 'it is 65 characters long (at most 64)'),
    ('a' * 63 + '/', "it contains '/' (U+002F)"),
    ('AB/../tokens', "it contains '/' (U+002F)"),
    ('../tokens/me', "it contains '.' (U+002E)"),
])
def test_validate_provider_id_names_the_value_the_source_and_the_problem(value, problem):
    with pytest.raises(idp.ProviderIdError) as info:
        idp.validate_provider_id(value, 'option id')
    msg = str(info.value)
    assert problem in msg and 'from option id' in msg
    assert repr(value)[:60] in msg


def test_validate_provider_id_accepts_the_longest_id():
    assert idp.validate_provider_id('a' * 64) == 'a' * 64
    assert idp.provider_path('custom', 'A' * 64) == '/api/v2/identityproviders/' + 'A' * 64


def test_next_page_path_refuses_anything_but_the_listing():
    assert idp._next_page_path('https://api.mypurecloud.ie/api/v2/identityproviders?pageNumber=2') == \
        '/api/v2/identityproviders?pageNumber=2'
    for bad in (123, None, 'https://evil.example/api/v2/tokens/me'):
        with pytest.raises(idp.ProviderIdError) as info:
            idp._next_page_path(bad)
        assert repr(bad) in str(info.value)


@pytest.mark.parametrize('url, shown', [
    ('https://user:pw@idp.example/metadata', 'https://***@idp.example/metadata'),
    ('https://user:pw@idp.example/a//b', 'https://***@idp.example/a//b'),
    ('https://idp.example/metadata', 'https://idp.example/metadata'),
])
def test_mask_userinfo_shows_the_url_without_its_credentials(url, shown):
    assert idp._mask_userinfo(url) == shown


# ====================================================================== backup / restore checks

ORG = dict(id='org-id-1', short_name='acme-prod')      # what FakeIdpApi answers for GET /organizations/me


def _backup(tmp_path, organization, api_url='https://api.mypurecloud.ie'):
    doc = dict(format=idp_core.BACKUP_FORMAT, version=idp_core.BACKUP_VERSION, created='2026-01-01T00:00:00Z',
               organization=organization, api_url=api_url, type='okta', family='per_type',
               provider={'name': 'Okta', 'issuerURI': 'urn:restored', 'disabled': False})
    path = tmp_path / 'backup.json'
    path.write_text(json.dumps(doc))
    return str(path)


def _restore(tmp_path, monkeypatch, organization, **kw):
    monkeypatch.setenv('HOME', str(tmp_path))
    spec = idp_core.SPEC['argument_spec']
    params = dict((k, v.get('default')) for k, v in spec.items())
    for key, option in spec.items():
        if option.get('type') == 'path' and option.get('default'):
            params[key] = str(tmp_path / key)
    params.update(api_url='https://api.mypurecloud.ie', client_id='admin', client_secret='s3cr3t-admin',
                  restore_from=_backup(tmp_path, organization, kw.pop('api_url', 'https://api.mypurecloud.ie')))
    if 'consistency_timeout' in spec:
        params['consistency_timeout'] = 0.0
    if 'settle_delay' in spec:
        params['settle_delay'] = 0.0
    params.update(kw)
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:current'}})
    return api, params


@pytest.mark.parametrize('organization', [dict(ORG), dict(id='org-id-1'), dict(short_name='acme-prod'),
                                          dict(id='org-id-1', short_name='renamed-since')])
def test_restore_of_the_same_org_is_applied(tmp_path, monkeypatch, organization):
    api, params = _restore(tmp_path, monkeypatch, organization)
    result = idp_core.core(params, RunContext(), client=api)
    assert result['changed'] is True and api.state('okta')['issuerURI'] == 'urn:restored'


@pytest.mark.parametrize('organization, shown', [
    (dict(id='org-id-2', short_name='acme-prod'), 'the org acme-prod (id org-id-2)'),   # id wins over the name
    (dict(short_name='other-org'), 'the org other-org (id ?)'),
    (dict(id='org-id-2'), 'the org ? (id org-id-2)'),
    ({}, 'the org ? (id ?)'),
])
def test_restore_of_another_org_is_refused_before_any_write(tmp_path, monkeypatch, organization, shown):
    api, params = _restore(tmp_path, monkeypatch, organization)
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    msg = info.value.msg
    assert msg.startswith('Refusing to restore') and shown in msg
    assert 'connected to the org acme-prod (id org-id-1)' in msg and 'restore_across_orgs' in msg
    assert api.writes() == [] and api.state('okta')['issuerURI'] == 'urn:current'


def test_restore_checks_the_org_id_even_when_org_short_name_is_given(tmp_path, monkeypatch):
    # org_short_name alone cannot prove the org: the id is read (GET /organizations/me) and compared
    api, params = _restore(tmp_path, monkeypatch, dict(id='org-id-2', short_name='acme-prod'),
                           org_short_name='acme-prod')
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert 'id org-id-2' in info.value.msg and api.writes() == []
    assert ('GET', '/api/v2/organizations/me', None) in api.log


def _refuse_org_read(api):
    """The fake answers GET /api/v2/organizations/me with 403 (an admin without organization read)."""
    real = api._dispatch

    def dispatch(method, path, body):
        if path == '/api/v2/organizations/me':
            raise api._error(403, 'missing.permissions', 'no organization:read', method, path)
        return real(method, path, body)
    api._dispatch = dispatch


def test_restore_fails_when_the_org_cannot_be_read(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    _refuse_org_read(api)
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert 'read the organization' in info.value.msg and api.writes() == []


def test_restore_from_another_api_host_is_refused(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG), api_url='https://api.usw2.pure.cloud/')
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert 'made against api.usw2.pure.cloud, this task talks to api.mypurecloud.ie' in info.value.msg
    assert api.writes() == []


# ====================================================================== secret masking

def test_secret_forms_cover_every_encoding():
    value = 'pass word/x"\\\u00e9'
    forms = common.secret_forms(value)
    assert value in forms
    assert 'pass+word/x%22%5C%C3%A9' in forms                               # quote_plus, '/' kept
    assert 'pass+word%2Fx%22%5C%C3%A9' in forms                             # quote_plus
    assert json.dumps(value)[1:-1] in forms                                 # JSON-escaped, ASCII
    assert json.dumps(value, ensure_ascii=False)[1:-1] in forms             # JSON-escaped, UTF-8
    assert json.dumps(json.dumps(value)[1:-1])[1:-1] in forms               # escaped twice
    assert base64.b64encode(value.encode('utf-8')).decode('ascii') in forms


def test_secret_forms_unpadded_base64_of_the_shortest_kept_length():
    # 'abcd' -> 'YWJjZA==': the unpadded form is 6 characters, the shortest derived form that is kept
    forms = common.secret_forms('abcd')
    assert 'YWJjZA==' in forms and 'YWJjZA' in forms


@pytest.mark.parametrize('value', [None, True, False, '', '   '])
def test_values_that_are_no_secret_have_no_form(value):
    assert common.secret_forms(value) == set()
    masker = common.SecretMasker([value])
    assert masker.values == set()


def test_non_string_secrets_are_masked_as_text():
    assert '12345678' in common.secret_forms(12345678)
    assert common.SecretMasker([12345678]).values == set(['12345678'])


def test_add_client_keeps_the_secret_and_its_basic_form_and_nothing_for_a_blank_secret():
    masker = common.SecretMasker()
    masker.add_client('admin', 'sekrit-123')
    assert masker.values == set(['sekrit-123', common.basic_credential('admin', 'sekrit-123')])
    for blank in (None, '', '   '):
        other = common.SecretMasker()
        other.add_client('admin', blank)
        assert other.values == set()


def test_mask_text_masks_the_longest_secret_first():
    masker = common.SecretMasker(['zz-secret-1', 'AAAzz-secret-1BBB'])
    assert masker.mask_text('x AAAzz-secret-1BBB y') == 'x %s y' % MASK


@pytest.mark.parametrize('value', [None, '', 123])
def test_mask_text_and_scrub_text_leave_non_texts_alone(value):
    assert common.SecretMasker(['sekrit-123']).mask_text(value) == value
    assert common.scrub_text(value) == value


def test_mask_of_a_non_dict_result_masks_every_text():
    masker = common.SecretMasker(['sekrit-123'])
    out = masker.mask(['prefix sekrit-123 suffix', 'plain'])
    assert out == ['prefix %s suffix' % MASK, 'plain']


def test_scrub_masks_dict_keys_and_tuples():
    assert common.scrub({'Bearer abcDEF123456': 1}) == {'Bearer %s' % MASK: 1}
    assert common.scrub(('Bearer abcDEF123456', 'x')) == ('Bearer %s' % MASK, 'x')
    assert common.scrub_text('token Bearer abcDEF123456 refused') == 'token Bearer %s refused' % MASK


def test_connection_secrets_register_every_credential_of_the_parameters():
    params = dict(client_id='admin', client_secret='sekrit-123', access_token=' tok-abc123\n', password='pw-456789',
                  assertion='assert-789', clients=[dict(client_id='bot', client_secret='bot-secret-1'), 'x'])
    values = common.connection_secrets(params)
    assert set(['sekrit-123', common.basic_credential('admin', 'sekrit-123'), ' tok-abc123\n', 'tok-abc123',
                'pw-456789', 'assert-789', 'bot-secret-1', common.basic_credential('bot', 'bot-secret-1')]) <= values
    assert common.connection_secrets(None) == set()


def test_report_secret_outside_any_run_is_harmless():
    errors = []

    def report():
        try:
            common.report_secret('tok-in-a-thread')
        except (AttributeError, TypeError, LookupError) as exc:
            errors.append(exc)
    thread = threading.Thread(target=report)
    thread.start()
    thread.join(10)
    assert errors == []


def test_run_context_add_secret_and_masker():
    ctx = RunContext()
    ctx.add_secret(' tok-abc123 ')
    ctx.add_secret(12345678)
    for nothing in ('', '   ', True, None, 0):
        ctx.add_secret(nothing)
    assert ctx.secrets == set([' tok-abc123 ', 'tok-abc123', '12345678'])
    masker = ctx.masker(params=dict(client_id='admin', client_secret='sekrit-123'))
    assert 'sekrit-123' in masker.values and 'tok-abc123' in masker.values
    assert 'sekrit-123' not in RunContext().masker().values


def test_mask_output_keeps_a_key_only_for_a_successful_result():
    masker = common.SecretMasker(['tok-abc123'])
    ok = common.mask_output(dict(access_token='tok-abc123', msg='got tok-abc123'), masker, keep=['access_token'])
    assert ok['access_token'] == 'tok-abc123' and 'tok-abc123' not in ok['msg']
    failed = common.mask_output(dict(failed=True, access_token='tok-abc123'), masker, keep=['access_token'])
    assert failed['access_token'] != 'tok-abc123'


# ====================================================================== client: TLS / URL rules, tokens

CLIENT = dict(client_id='admin', client_secret='sekrit-123')


@pytest.mark.parametrize('url, words', [
    ('http://api.example.test', 'uses http://'),
    ('HTTP://api.example.test', 'uses http://'),
    ('ftp://api.example.test', 'is not an https URL'),
    ('https://api.example.test/x y', 'contains a space'),
])
def test_client_refuses_non_https_urls_with_code_and_fix(url, words):
    with pytest.raises(GenesysError) as info:
        GenesysClient(dict(CLIENT, api_url=url))
    err = info.value
    assert err.code == 'invalid.url' and words in err.message and err.hint.startswith('Fix: give ')


def test_client_login_url_is_derived_from_the_api_url():
    assert GenesysClient(dict(CLIENT, api_url='https://api.example.test/')).login_url == 'https://login.example.test'
    assert GenesysClient(dict(CLIENT, api_url='https://gateway.example.test')).login_url == \
        'https://gateway.example.test'


@pytest.mark.parametrize('token', ['tok abc', 'tok\nabc', 'tok\x00abc'])
def test_client_refuses_a_token_with_inner_whitespace_with_code_and_fix(token):
    with pytest.raises(GenesysError) as info:
        GenesysClient(dict(api_url='https://api.example.test', access_token=token))
    assert info.value.code == 'invalid.access_token' and info.value.hint.startswith('Fix: give access_token')


@pytest.mark.parametrize('location, shown', [
    ('https://[::1]:8443/x?y', 'https://[::1]:8443'),
    ('http://user:pw@evil.example/path', 'http://evil.example'),
    ('//evil.example/x', '?://evil.example'),
    ('/relative', 'a path on the same host'),
])
def test_redirect_location_is_shown_without_path_or_credentials(location, shown):
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import _location_host
    assert _location_host(location) == shown


def test_masked_error_body_is_cut_after_masking():
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import _masked_body
    masker = common.SecretMasker(['sekrit-123'])
    text = _masked_body('sekrit-123 ' + 'x' * 400, masker)
    assert text.startswith(MASK) and len(text) == 300
    body = _masked_body({'message': 'sekrit-123', 'code': 'bad.request'}, masker)
    assert 'sekrit-123' not in json.dumps(body) and body['code'] == 'bad.request'


# ====================================================================== backup file: reading and writing

def _write(tmp_path, doc, raw=None):
    path = tmp_path / 'b.json'
    path.write_text(raw if raw is not None else json.dumps(doc))
    return str(path)


def _doc(**kw):
    doc = dict(format=idp_core.BACKUP_FORMAT, version=idp_core.BACKUP_VERSION, type='okta',
               provider={'name': 'Okta', 'issuerURI': 'urn:x'})
    doc.update(kw)
    return doc


@pytest.mark.parametrize('doc, raw, words', [
    (None, '{not json', 'Cannot read the backup file '),
    (dict(format='something else'), None, 'is not a genesys_identity_provider backup file (no "format": "'),
    (_doc(version=2), None, 'has backup version 2; this collection reads version 1.'),
    (_doc(type='saml'), None, "names an unknown provider type 'saml'."),
    (_doc(provider=['x']), None, ': "provider" must be an object or null.'),
    (_doc(provider={'name': 'Okta', 'selfUri': 5}), None, ': "provider.selfUri" must be a string.'),
    (_doc(provider={'name': 'Okta', 'id': '../oauth/clients/bot'}), None, 'Refusing the identity provider id '),
])
def test_load_backup_refuses_every_malformed_file_with_its_path(tmp_path, doc, raw, words):
    path = _write(tmp_path, doc, raw)
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.load_backup(path)
    assert words in info.value.msg and path in info.value.msg


def test_load_backup_reads_a_missing_file_as_a_clean_error(tmp_path):
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.load_backup(str(tmp_path / 'nope.json'))
    assert info.value.msg.startswith('Cannot read the backup file %s: ' % (tmp_path / 'nope.json'))


def test_load_backup_accepts_a_good_file_and_a_null_provider(tmp_path):
    assert idp_core.load_backup(_write(tmp_path, _doc()))['provider']['name'] == 'Okta'
    assert idp_core.load_backup(_write(tmp_path, _doc(provider=None)))['provider'] is None


@pytest.mark.parametrize('text, slug', [
    ('Acme Prod/EU', 'Acme-Prod-EU'),
    ('--x--', 'x'),
    ('../../etc', '..-..-etc'),          # no '/' left: the name cannot leave the backup directory
    (None, 'provider'),
    ('///', 'provider'),
    ('a' * 100, 'a' * 60),
])
def test_backup_file_name_parts_are_safe(text, slug):
    assert _genesys_provider_backup.slug(text) == slug


def test_backup_document_and_file(tmp_path, monkeypatch):
    import os
    import re
    import stat
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, type='okta', issuer_uri='urn:new', backup=True)
    result = idp_core.core(params, RunContext(), client=api)
    path = result['backup_file']
    assert os.path.basename(path).startswith('acme-prod_okta_') and path.endswith('Z.json')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        doc = json.load(handle)
    assert doc['organization'] == dict(short_name='acme-prod', id='org-id-1')
    assert doc['family'] == 'per_type' and doc['type'] == 'okta' and doc['api_url'] == api.api_url
    assert re.match(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$', doc['created'])
    assert doc['provider']['issuerURI'] == 'urn:current'
    assert idp_core.load_backup(path)['provider']['issuerURI'] == 'urn:current'


def test_backup_of_a_custom_provider_is_named_after_it(tmp_path, monkeypatch):
    import os
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    api = FakeIdpApi(custom=[{'name': 'Partner IdP', 'issuerURI': 'urn:p'}])
    params.update(restore_from=None, type='custom', name='Partner IdP', issuer_uri='urn:p2', backup=True)
    result = idp_core.core(params, RunContext(), client=api)
    assert os.path.basename(result['backup_file']).startswith('acme-prod_custom-Partner-IdP_')


def test_backup_needs_the_org_and_fails_before_any_write_when_it_cannot_be_read(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, type='okta', issuer_uri='urn:new', backup=True)
    _refuse_org_read(api)
    with pytest.raises(GenesysModuleFail):
        idp_core.core(params, RunContext(), client=api)
    assert api.writes() == [] and api.state('okta')['issuerURI'] == 'urn:current'


# ====================================================================== client: refused redirects

@pytest.mark.parametrize('path, host', [('/oauth/token', 'login'), ('/api/v2/identityproviders', 'API')])
def test_redirect_error_names_the_host_the_target_and_the_client(path, host):
    """A redirect, on the token request or on an API call, is refused through the client's own request path: the
    error names the host that redirected, the target host only, the correlation id and the client."""
    from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse, FakeSession
    redirect = FakeResponse(307, headers={'Location': 'http://evil.example/steal?x=1', 'ININ-Correlation-Id': 'cid-307'})
    answers = [redirect] if host == 'login' else [FakeResponse(200, dict(access_token='tok-1', expires_in=60)), redirect]
    session = FakeSession(answers)
    client = GenesysClient(dict(CLIENT, api_url='https://api.example.test'), session=session)
    with pytest.raises(GenesysError) as raised:
        if host == 'login':
            client.get_token()
        else:
            client.request('POST', path, body={})
    err = raised.value
    assert err.code == 'redirect.refused' and err.status == 307 and err.method == 'POST' and err.path == path
    assert ('the %s host answered with a redirect to http://evil.example;' % host) in err.message
    assert 'steal' not in err.message
    assert err.correlation_id == 'cid-307' and err.client_id == 'admin'
    assert len(session.calls) == len(answers)


# ====================================================================== masking: credential words, forms

@pytest.mark.parametrize('text', [
    'Bearer abcDEF12',              # exactly 8 characters: still a credential
    'Bearer abcdef123456',          # lower case and digits
    'Bearer abcdefGHIJkl',          # upper case inside, no digit
    'Bearer aBcdefghijk',           # upper case as its second character
    'basic dXNlcjpwYXNz',
])
def test_bearer_and_basic_credentials_are_masked_in_any_text(text):
    scheme = text.split(' ', 1)[0]
    assert common.scrub_text('401: %s was refused' % text) == '401: %s %s was refused' % (scheme, MASK)


def test_secret_forms_strip_only_the_base64_padding_and_keep_no_short_derived_form():
    assert 'tokenX' in common.secret_forms('tokenX==')
    assert common.secret_forms('ab') == set(['ab'])          # 'YWI=' (4 characters) would mask ordinary text


def test_classify_entity_with_a_bare_self_uri():
    assert idp.classify_entity({'id': '0c7a9a54', 'selfUri': 'okta'}) == ('per_type', 'okta')


def test_a_backup_directory_others_can_write_is_refused_naming_the_option(tmp_path, monkeypatch):
    import os
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    params.update(restore_from=None, type='okta', issuer_uri='urn:new', backup=True, backup_dir=str(shared))
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert info.value.msg.startswith('backup_dir %s is writable by other users' % shared)
    assert api.writes() == []


# ====================================================================== file-name parts, directories, hosts

@pytest.mark.parametrize('text, kw, part', [
    ('Acme Prod/EU', {}, 'Acme-Prod-EU'),
    ('AbC.d_e-f', {}, 'AbC.d_e-f'),
    ('..', {}, 'x'),
    ('-.x.-', {}, 'x'),
    (None, {}, 'x'),
    ('', dict(default='d'), 'd'),
    ('a' * 100, {}, 'a' * 80),
])
def test_safe_segment(text, kw, part):
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import safe_segment
    assert safe_segment(text, **kw) == part


@pytest.mark.parametrize('directory', ['', 'a\x00b', None, 5])
def test_check_private_dir_refuses_unusable_paths(directory):
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import TxnError, check_private_dir
    with pytest.raises(TxnError) as info:
        check_private_dir(directory, 'lock_dir')
    assert str(info.value) == 'lock_dir: %r is not a usable directory path (empty or contains a NUL byte).' % (
        directory,)


def test_check_private_dir_that_cannot_be_created(tmp_path):
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import TxnError, check_private_dir
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(TxnError) as info:
        check_private_dir(str(blocker / 'sub'), 'backup_dir')
    assert str(info.value).startswith('Cannot create the directory %s (backup_dir): ' % (blocker / 'sub'))


def test_a_nul_byte_in_a_directory_option_fails_before_any_request(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, type='okta', issuer_uri='urn:new', backup_dir='/tmp/a\x00b')
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert info.value.msg.startswith('backup_dir contains a NUL byte') and api.log == []


def test_provider_path_names_where_a_refused_id_came_from():
    with pytest.raises(idp.ProviderIdError) as info:
        idp.provider_path('custom', '../tokens/me')
    assert 'from the provider id of the request path' in str(info.value)
    with pytest.raises(idp.ProviderIdError) as info:
        idp.provider_path('custom', '../tokens/me', source='entry 2 of the listing')
    assert 'from entry 2 of the listing' in str(info.value)


def test_restore_compares_hosts_case_and_path_insensitively(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG), api_url='https://API.mypurecloud.ie/api/v2/x')
    assert idp_core.core(params, RunContext(), client=api)['changed'] is True


def test_restore_of_a_backup_without_api_host_is_refused_naming_it(tmp_path, monkeypatch):
    api, params = _restore(tmp_path, monkeypatch, dict(ORG), api_url=None)
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert 'made against an unknown API host, this task talks to api.mypurecloud.ie' in info.value.msg


# ====================================================================== backup names, family, write errors

def _backup_run(tmp_path, monkeypatch, api, **kw):
    dummy, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, backup=True)
    params.update(kw)
    return idp_core.core(params, RunContext(), client=api)


def test_backup_name_falls_back_to_the_org_id(tmp_path, monkeypatch):
    import os
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:current'}}, org_short_name=None)
    result = _backup_run(tmp_path, monkeypatch, api, type='okta', issuer_uri='urn:new')
    assert os.path.basename(result['backup_file']).startswith('org-id-1_okta_')


def test_backup_name_without_any_org_name_or_id(tmp_path, monkeypatch):
    import os
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:current'}}, org_short_name=None)
    real = api._dispatch

    def dispatch(method, path, body):
        if path == '/api/v2/organizations/me':
            return 200, {}
        return real(method, path, body)
    api._dispatch = dispatch
    result = _backup_run(tmp_path, monkeypatch, api, type='okta', issuer_uri='urn:new', lock=False)
    assert os.path.basename(result['backup_file']).startswith('org_okta_')


def test_backup_of_a_custom_provider_is_named_after_its_current_name_and_family(tmp_path, monkeypatch):
    import os
    api = FakeIdpApi(custom=[{'name': 'Partner IdP', 'issuerURI': 'urn:p'}])
    result = _backup_run(tmp_path, monkeypatch, api, type='custom', name='partner idp', issuer_uri='urn:p2')
    assert os.path.basename(result['backup_file']).startswith('acme-prod_custom-Partner-IdP_')
    assert idp_core.load_backup(result['backup_file'])['family'] == 'custom'


def test_backup_without_a_readable_org_fails_even_without_the_lock(tmp_path, monkeypatch):
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:current'}})
    _refuse_org_read(api)
    with pytest.raises(GenesysModuleFail) as info:
        _backup_run(tmp_path, monkeypatch, api, type='okta', issuer_uri='urn:new', lock=False)
    assert 'read the organization' in info.value.msg and api.writes() == []


def test_backup_file_that_cannot_be_written_fails_before_the_change(tmp_path, monkeypatch):
    import datetime
    import os
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(_genesys_provider_backup, '_utcnow', lambda: moment)
    directory = tmp_path / 'backups'
    directory.mkdir(mode=0o700)
    taken = directory / ('acme-prod_okta_%s.json' % moment.strftime('%Y%m%dT%H%M%S%fZ'))
    taken.write_text('{}')
    os.chmod(str(directory), 0o700)
    api = FakeIdpApi(providers={'okta': {'name': 'Okta', 'issuerURI': 'urn:current'}})
    with pytest.raises(GenesysModuleFail) as info:
        _backup_run(tmp_path, monkeypatch, api, type='okta', issuer_uri='urn:new', backup_dir=str(directory))
    assert info.value.msg.startswith('Cannot write the backup file %s: ' % taken)
    assert api.writes() == []


# ====================================================================== the guard in the core

def test_the_last_enabled_custom_provider_is_refused_before_any_write(tmp_path, monkeypatch):
    api = FakeIdpApi(custom=[{'name': 'Corp', 'issuerURI': 'urn:c'}], providers={'purecloud': {'disabled': True}})
    dummy, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, type='custom', name='Corp', enabled=False)
    with pytest.raises(GenesysModuleFail) as info:
        idp_core.core(params, RunContext(), client=api)
    assert info.value.msg.startswith("Refusing to disable the custom identity provider 'Corp'")
    provider = info.value.extra['provider']
    assert provider['name'] == 'Corp' and provider['type'] == 'custom' and provider['family'] == 'custom'
    assert api.writes() == []


def test_deleting_the_purecloud_entry_costs_no_listing(tmp_path, monkeypatch):
    api = FakeIdpApi(providers={'okta': {'issuerURI': 'urn:o', 'disabled': True}, 'purecloud': {'disabled': False}})
    dummy, params = _restore(tmp_path, monkeypatch, dict(ORG))
    params.update(restore_from=None, type='purecloud', state='absent')
    assert idp_core.core(params, RunContext(), client=api)['changed'] is True
    assert ('GET', '/api/v2/identityproviders', None) not in api.log
