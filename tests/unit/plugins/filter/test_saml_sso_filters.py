# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters of the saml_sso role (plugins/filter/saml_sso.py over plugin_utils/genesys_summary.py): the summary,
the input check of the first task (unknown saml_sso_* variables, one line without any value) and safe path segments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.genesyscloud.sso.plugins.filter.saml_sso import FilterModule
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import (
    NOT_VERIFIED,
    client_lines,
    input_error,
    path_segment,
    provider_lines,
    summary,
)

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'saml_sso')
SPECS = os.path.join(ROLE, 'meta', 'argument_specs.yml')
SECRET = 'admin-secret-Zq81x'

CERT = dict(fingerprint='AA:BB', subject='CN=idp', not_after='2027-01-01T00:00:00Z', days_left=20)
ATTRIBUTES = [dict(name='email', value=None, required=True), dict(name='OrganizationName', value='acme', required=True),
              dict(name='ServiceName', value=None, required=False)]
SP = dict(acs_url='https://login.mypurecloud.ie/saml', slo_url='https://login.mypurecloud.ie/saml/logout',
          entity_id='genesys.cloud.acme', attributes=ATTRIBUTES)
PASSED = dict(passed=True, report=[dict(client_id='c1', name='Routing bot', passed=True, token_lifetime=86399)])
FAILED = dict(passed=False, report=[dict(client_id='c2', name='', passed=False,
                                         checks=[dict(name='token', passed=True),
                                                 dict(name='probe /api/v2/users', passed=False, detail='HTTP 403')])])


def configure(**kw):
    result = dict(changed=True, changed_options=['issuer_uri'], diff=dict(before={'type': 'okta'}, after={}),
                  provider=dict(type='okta', id='p-1', name='Okta', enabled=True), certificates=[CERT],
                  service_provider=SP, backup_file='/b/acme_okta.json', providers=[],
                  organization=dict(short_name='acme', id='o-1', name='Acme'),
                  end_state=dict(type='okta', id='p-1', name='Okta', enabled=True, issuer_uri='http://www.okta.com/x',
                                 relying_party_identifier='genesys.cloud.acme'))
    result.update(kw)
    return result


def test_the_filters_are_registered_under_their_documented_names():
    filters = FilterModule().filters()
    assert sorted(filters) == ['sso_audit_summary', 'sso_client_lines', 'sso_connection', 'sso_failure', 'sso_input_error',
                               'sso_path_segment', 'sso_provider_lines', 'sso_provider_options', 'sso_step1_clients',
                               'sso_summary']
    filter_dir = os.path.join(ROLE, '..', '..', 'plugins', 'filter')
    for name in filters:
        with open(os.path.join(filter_dir, name + '.yml'), encoding='utf-8') as handle:
            assert yaml.safe_load(handle)['DOCUMENTATION']['name'] == name


def test_client_lines_ok_failed_not_run_and_broken():
    assert client_lines(PASSED) == ['Routing bot: OK (token valid for 86399 s)']
    assert client_lines(FAILED) == ['c2: FAILED - probe /api/v2/users: HTTP 403']  # no name: the client id
    assert client_lines({}) == [] and client_lines(None) == []
    assert client_lines(dict(skipped=True, changed=False)) == []
    assert client_lines(dict(failed=True, msg='HTTP 503 after 5 retries')) == [
        'The OAuth client check did not run: HTTP 503 after 5 retries']


def test_provider_lines_and_the_empty_org():
    lines = provider_lines([
        dict(type='purecloud', name=None, enabled=False, certificates=[]),
        dict(type='okta', name='Okta', enabled=True, issuer_uri='urn:okta',
             certificates=[CERT, dict(CERT, days_left=-3)]),
    ])
    assert lines == ["purecloud 'purecloud': disabled, 0 certificate(s)",
                     "okta 'Okta': enabled, issuer urn:okta, 2 certificate(s), first expiry in -3 days"]
    assert provider_lines([]) == ['No identity provider is configured yet.']


def test_summary_of_an_update_names_fields_certificates_backup_and_the_idp_values():
    r = summary(configure(), org='acme', provider_type='okta', clients_before=PASSED, clients_after=PASSED)
    assert (r['status'], r['mode'], r['changed'], r['action']) == ('ok', 'apply', True, 'updated')
    assert r['expiring_certificates'] == ['CN=idp']  # 20 days <= the default 30
    assert r['clients_before'] == dict(checked=1, passed=True, lines=['Routing bot: OK (token valid for 86399 s)'])
    assert r['lines'][0] == 'acme: updated the okta provider (issuer_uri)'
    assert 'Organization: Acme (short name acme, id o-1)' in r['lines']
    assert 'Providers before this run: No identity provider is configured yet.' in r['lines']
    assert "Provider: okta 'Okta' enabled (id p-1)" in r['lines']
    assert 'Certificate CN=idp (SHA-256 AA:BB): expires 2027-01-01T00:00:00Z (20 days, RENEW SOON)' in r['lines']
    assert 'Preserved OAuth clients after the change: all OK' in r['lines']
    assert 'Backup of the previous provider: /b/acme_okta.json' in r['lines']
    # the handoff (genesys_handoff): the provider as it ends, bindings, NameID, NameFormat, hints for its IdP family
    assert r['lines'][-3] == ('Enter at the IdP (the provider as Genesys Cloud holds it now): ACS / single sign-on URL '
                              'https://login.mypurecloud.ie/saml (binding HTTP-POST); single logout URL '
                              'https://login.mypurecloud.ie/saml/logout (binding HTTP-Redirect, the default); audience / '
                              'SP entity ID genesys.cloud.acme (the relying party identifier Genesys Cloud holds)')
    assert r['lines'][-2].startswith('NameID: format urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')
    assert r['lines'][-2].endswith('email = the user\'s email address, OrganizationName = acme (a constant, '
                                   'case-sensitive)')
    assert r['lines'][-1].startswith('At Okta: ') and 'Value user.email' in r['lines'][-1]
    assert r['handoff']['state'] == 'in_force' and r['handoff']['audience'] == 'genesys.cloud.acme'


def test_summary_actions_created_unchanged_restored():
    assert summary(configure(diff=dict(before={}, after={})))['action'] == 'created'
    unchanged = summary(configure(changed=False, changed_options=[]), org='o', clients_before=PASSED)
    assert unchanged['action'] == 'unchanged' and unchanged['changed'] is False
    assert unchanged['lines'][0] == 'o: no change needed, the provider is already as intended'
    assert 'Preserved OAuth clients were not validated again: nothing changed.' in unchanged['lines']
    restored = summary(configure(), rolled_back=True, failed=True, failed_step='Fail (step 6)', error='bot fails')
    assert restored['action'] == 'restored' and restored['changed'] is False and restored['rolled_back'] is True
    assert restored['lines'][0] == ': FAILED at "Fail (step 6)": bot fails'
    assert 'ROLLED BACK: the provider was restored from /b/acme_okta.json' in restored['lines']


def test_summary_in_check_and_verify_mode():
    check = summary(configure(), org='o', provider_type='okta', mode='check')
    assert check['lines'][0] == 'o: check mode, would update the okta provider (issuer_uri)'
    assert any(line.startswith('Check mode: nothing was written, so step 5') for line in check['lines'])
    created = summary(configure(diff=dict(before={}, after={}), changed_options=[]), provider_type='okta', mode='check')
    assert created['lines'][0] == ': check mode, would create the okta provider (all fields)'
    verified = summary(configure(changed=False), org='o', provider_type='okta', mode='verify')
    assert verified['lines'][0] == ('o: verified: the okta provider is enabled and matches the intended fields and '
                                    '1 certificate fingerprint(s)')


def test_summary_without_a_provider_result():
    for configure_result in ({}, None, dict(skipped=True, changed=False), dict(failed=True, msg='HTTP 403')):
        r = summary(configure_result, org='o', provider_type='okta', failed=True, failed_step='Step 4', error='HTTP 403',
                    clients_before=FAILED)
        assert r['provider'] == dict(type='okta', id='', name='', enabled=False)
        assert r['certificates'] == [] and r['service_provider'] == {} and r['backup_file'] == ''
        assert r['lines'][0] == 'o: FAILED at "Step 4": HTTP 403'
        assert not any(line.startswith('Providers before this run') for line in r['lines'])
        assert 'Preserved OAuth clients before the change: 1 checked, FAILED' in r['lines']


def test_summary_when_step_4_did_not_run_says_so_instead_of_no_change():
    r = summary({}, org='o', provider_type='okta', clients_before=PASSED)  # e.g. --tags oauth
    assert r['action'] == 'skipped' and r['changed'] is False and r['status'] == 'ok'
    assert r['lines'][0] == 'o: the provider was not read: step 4 did not run (only other tags were selected)'
    assert summary({}, failed=True, error='x')['action'] == 'skipped'


def test_expiry_threshold_is_an_option():
    assert summary(configure(), expiry_warn_days=10)['expiring_certificates'] == []


def _inputs(**extra):
    """The saml_sso_* variables a host sees: the role defaults, a provider, the admin client and region, and ``extra``."""
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as handle:
        values = yaml.safe_load(handle)
    values.update(saml_sso_provider=dict(type='okta'), saml_sso_client_id='admin', saml_sso_client_secret=SECRET,
                  saml_sso_region='eu-west-1')
    values.update(extra)
    return values


def test_valid_inputs_give_no_error_for_both_entry_points():
    assert input_error(_inputs(), SPECS, org='acme') == ''
    assert input_error(_inputs(saml_sso_result={'status': 'ok'}, saml_sso_hosts='all'), SPECS) == ''
    # an inventory shared by configure_sso.yml and audit_sso.yml: the other entry point's inputs are not typos
    assert input_error(_inputs(saml_sso_audit_fail_on_findings=True), SPECS, entry='main') == ''
    assert input_error(_inputs(), SPECS, entry='audit') == ''


def test_a_misspelt_variable_fails_naming_the_closest_input():
    error = input_error(_inputs(saml_sso_preseved_clients=[dict(client_id='bot', client_secret='s')]), SPECS, org='acme')
    assert error.startswith('Invalid input for acme: saml_sso_preseved_clients is not a variable of the saml_sso role '
                            '(did you mean saml_sso_preserved_clients?)')
    assert '\n' not in error
    assert 'did you mean' not in input_error(_inputs(saml_sso_zzzzzzzzzzzzzzzzzz=1), SPECS)
    assert 'saml_sso_zzzzzzzzzzzzzzzzzz is not a variable' in input_error(_inputs(saml_sso_zzzzzzzzzzzzzzzzzz=1), SPECS)


def test_a_type_error_is_one_line_naming_the_option_without_its_value():
    error = input_error(_inputs(saml_sso_retries='notanumber'), SPECS, org='acme')
    assert error == ('Invalid input for acme: saml_sso_retries must be of type int (it is a str that does not convert '
                     'to one). Fix it in the inventory, group_vars, vars or -e and run again.')
    choice = input_error(_inputs(saml_sso_grant_type='client-credentials-typo'), SPECS)
    assert 'saml_sso_grant_type must be one of: client_credentials, password, saml2_bearer, token' in choice
    assert 'typo' not in choice and '\n' not in choice
    assert 'saml_sso_provider must be of type dict' in input_error(_inputs(saml_sso_provider=None), SPECS)
    assert 'saml_sso_preserved_clients.client_secret is required' in input_error(
        _inputs(saml_sso_preserved_clients=[dict(client_id='bot')]), SPECS)
    assert 'every element of saml_sso_preserved_clients must be of type dict' in input_error(
        _inputs(saml_sso_preserved_clients='bot'), SPECS)


def test_sub_option_typos_name_the_closest_sub_option():
    error = input_error(_inputs(saml_sso_provider=dict(type='okta', issuer_url='urn:x')), SPECS)
    assert 'saml_sso_provider.issuer_url is not an option of saml_sso_provider (did you mean saml_sso_provider.issuer_uri?)' in error
    assert 'Supported parameters include' not in error
    clients = input_error(_inputs(saml_sso_preserved_clients=[dict(client_id='bot', client_secret=SECRET, nmae='x')]), SPECS)
    assert 'nmae' in clients and 'did you mean saml_sso_preserved_clients.name?' in clients


@pytest.mark.parametrize('bad', [
    dict(saml_sso_timeout=SECRET),                                     # a secret pasted into a number
    dict(saml_sso_grant_type=SECRET),                                  # into a choice
    dict(saml_sso_validate_certs=SECRET),                              # into a bool
    dict(saml_sso_preserved_clients=[dict(client_id='bot', client_secret=SECRET, expect=SECRET)]),
    dict(saml_sso_preserved_clients=[dict(client_id=SECRET)]),         # required client_secret missing
    dict(saml_sso_provider=dict(type=SECRET)),
    dict(saml_sso_preserved_clients=SECRET),                           # not a list of dicts
    dict(saml_sso_client_expectations=SECRET),
])
def test_no_error_line_holds_a_value(bad):
    error = input_error(_inputs(**bad), SPECS, org='acme')
    assert error.startswith('Invalid input for acme: ') and '\n' not in error
    assert SECRET not in error


def test_the_spec_resolves_no_secret_and_marks_every_secret_option_no_log():
    with open(SPECS, encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    text = open(SPECS, encoding='utf-8').read()
    assert 'lookup(' not in text and '{{' not in text  # ansible-core templates and prints these defaults
    options = specs['main']['options']
    for name in ('saml_sso_client_secret', 'saml_sso_access_token', 'saml_sso_password', 'saml_sso_assertion'):
        assert options[name].get('no_log') is True, name
    assert options['saml_sso_preserved_clients']['options']['client_secret'].get('no_log') is True
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as handle:
        assert 'lookup(' not in handle.read()


@pytest.mark.parametrize('name, kept', [('acme_prod', True), ('org-01.eu', True), ('../x', False), ('a/b', False),
                                        ('..', False), ('.', False), ('.hidden', False), ('', False), ('a\x00b', False),
                                        ('x' * 101, False), ('/etc/passwd', False), ('a b', False)])
def test_path_segments_never_leave_their_directory(name, kept):
    segment = path_segment(name)
    assert (segment == name) is kept
    assert segment and '/' not in segment and '\x00' not in segment and not segment.startswith('.')
    assert os.path.basename(os.path.normpath(os.path.join('/base', segment))) == segment
    assert len(segment) <= 100


def test_path_segments_of_different_names_differ():
    names = ['../x', '.._x', '__x', '_x', 'a/b', 'a_b', 'a b', 'a\x00b']
    assert len(set(path_segment(n) for n in names)) == len(names)


def test_without_preserved_clients_the_summary_says_the_oauth_automation_is_not_verified():
    admin = dict(passed=True, report=[dict(client_id='admin', name='admin client (saml_sso_client_id; no preserved '
                                           'clients configured)', passed=True, token_lifetime=86399)])
    r = summary(configure(changed=False, changed_options=[]), org='o', clients_before=admin, preserved_clients=0)
    assert r['oauth_verified'] is False and r['preserved_clients'] == 0
    assert r['lines'][1].startswith(NOT_VERIFIED + ' (saml_sso_preserved_clients is empty)')
    assert r['lines'][1].endswith("The admin client's own client-credentials grant: OK.")
    assert not any('Preserved OAuth clients' in line for line in r['lines'])  # the admin is not a preserved client
    failed = summary({}, org='o', failed=True, error='x', preserved_clients=0,
                     clients_before=dict(FAILED, report=[dict(FAILED['report'][0], client_id='admin')]))
    assert failed['lines'][1].endswith("client-credentials grant: FAILED.")
    assert summary({}, org='o', failed=True, error='x', preserved_clients=0)['lines'][1].endswith(': not checked.')
    with_clients = summary(configure(), org='o', clients_before=PASSED, preserved_clients=1)
    assert with_clients['oauth_verified'] is True and not any(NOT_VERIFIED in line for line in with_clients['lines'])
    assert summary(configure())['oauth_verified'] is True  # not told: as before


def test_preserved_clients_the_tags_left_out_are_said_not_validated():
    """--tags saml or --skip-tags saml,verify: no client was checked although some are configured; the summary says
    so instead of staying silent (a configured list is not a proof)."""
    unchecked = summary(configure(changed=False, changed_options=[]), org='o', preserved_clients=2)
    assert any(line.startswith('Preserved OAuth clients were NOT validated in this run') for line in unchecked['lines'])
    skipped = summary({}, org='o', preserved_clients=1)
    assert any('NOT validated in this run' in line for line in skipped['lines'])
    checked = summary(configure(), org='o', clients_before=PASSED, preserved_clients=1)
    assert not any('NOT validated' in line for line in checked['lines'])
    assert not any('NOT validated' in line for line in summary({}, org='o', failed=True, error='x',
                                                               preserved_clients=1)['lines'])
