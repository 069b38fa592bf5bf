# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The summary filters of the saml_sso role (plugins/filter/saml_sso.py over plugin_utils/genesys_summary.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.filter.saml_sso import FilterModule
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import (
    client_lines,
    provider_lines,
    summary,
)

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
                  organization=dict(short_name='acme', id='o-1', name='Acme'))
    result.update(kw)
    return result


def test_the_filters_are_registered_under_their_documented_names():
    assert sorted(FilterModule().filters()) == ['sso_client_lines', 'sso_provider_lines', 'sso_summary']


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
    assert r['lines'][-1] == ('Enter at the IdP: ACS / single sign-on URL https://login.mypurecloud.ie/saml; single '
                              'logout URL https://login.mypurecloud.ie/saml/logout; audience / SP entity ID '
                              'genesys.cloud.acme; attributes email = ?, OrganizationName = acme')


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
