# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the saml_sso role that used to be Jinja in vars/main.yml, now filters: the clients of step 1,
the admin inputs of each grant, the failed step and its message, whether the report fails an org, the run's
artifacts, and the playbooks' hosts filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.genesyscloud.sso.plugins.filter import sso_hosts
from ansible_collections.genesyscloud.sso.plugins.filter.sso_report import org_failure, run_report
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_role import (
    ADMIN_CLIENT_NAME,
    AUDIT_NOT_VERIFIED,
    audit_summary,
    drift_details,
    failure,
    step1_clients,
)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import credentials_error

BOT = dict(client_id='bot', client_secret='bot-secret')
FAILED_CLIENT = dict(passed=False, failed=True, report=[dict(client_id='bot', name='Routing bot', passed=False,
                                                             checks=[dict(name='token', passed=False, detail='HTTP 401')])])
CERT_OLD = dict(fingerprint='AA:AA:AA:AA:AA:AA:AA:AA:AA:AA', subject='CN=old', not_after='2026-01-01T00:00:00Z')
CERT_NEW = dict(fingerprint='BB:BB:BB:BB:BB:BB:BB:BB:BB:BB', subject='CN=new', not_after='2028-01-01T00:00:00Z')


# ------------------------------------------------------------------ step 1

def test_step1_validates_the_preserved_clients_else_the_admin_client_of_client_credentials():
    assert step1_clients([BOT], environ={}) == [BOT]
    admin = step1_clients([], 'client_credentials', 'admin', 'admin-secret', environ={})
    assert admin == [dict(name=ADMIN_CLIENT_NAME, client_id='admin', client_secret='admin-secret',
                          probe_paths=['/api/v2/identityproviders'])]
    # an empty input is the environment variable the module would read
    env = dict(GENESYSCLOUD_OAUTHCLIENT_ID='env-admin', GENESYSCLOUD_OAUTHCLIENT_SECRET='env-secret')
    assert step1_clients([], 'client_credentials', '', '', environ=env)[0]['client_id'] == 'env-admin'
    assert step1_clients([], 'client_credentials', '', '', environ=env)[0]['client_secret'] == 'env-secret'
    for other in ('password', 'saml2_bearer', 'token'):
        assert step1_clients([], other, 'admin', 'admin-secret', environ={}) == []


# ------------------------------------------------------------------ admin inputs per grant

def test_every_grant_needs_its_inputs_from_the_grant_table():
    region = dict(saml_sso_region='eu-west-1')
    for grant in grants.GRANTS:
        values = dict(region, saml_sso_grant_type=grant.name)
        error = credentials_error(values, 'acme', environ={})
        assert error.startswith('Missing input for acme: set '), error
        for option in grant.requires:
            assert 'saml_sso_' + option in error, (grant.name, error)
        values.update(('saml_sso_' + option, 'x') for option in grant.requires)
        assert credentials_error(values, 'acme', environ={}) == '', grant.name


def test_the_environment_counts_and_the_host_is_required_and_no_value_is_shown():
    values = dict(saml_sso_grant_type='client_credentials', saml_sso_client_id='admin', saml_sso_client_secret='Zq81x')
    assert credentials_error(values, 'acme', environ={}) == (
        'Missing input for acme: set saml_sso_region (or GENESYSCLOUD_REGION, or saml_sso_api_url).')
    assert credentials_error(values, 'acme', environ=dict(GENESYSCLOUD_REGION='eu-west-1')) == ''
    assert credentials_error(dict(values, saml_sso_api_url='https://api.example'), 'acme', environ={}) == ''
    env = dict(GENESYSCLOUD_OAUTHCLIENT_ID='a', GENESYSCLOUD_OAUTHCLIENT_SECRET='b', GENESYSCLOUD_API_URL='https://x')
    assert credentials_error(dict(saml_sso_client_secret='   '), 'acme', environ=env) == ''
    error = credentials_error(dict(saml_sso_client_id='admin', saml_sso_client_secret='  ', saml_sso_region='r'),
                              'acme', environ={})
    assert 'saml_sso_client_secret (or GENESYSCLOUD_OAUTHCLIENT_SECRET)' in error and 'admin' not in error.split(':')[1]
    assert credentials_error(dict(saml_sso_grant_type='no-such-grant'), 'acme', environ={}) == ''  # named by choices


# ------------------------------------------------------------------ the failed step

def test_the_failed_step_comes_from_the_results_never_from_a_task():
    bad_input = dict(failed=True, ansible_facts=dict(_saml_sso_error='Invalid input for acme: x'))
    assert failure(dict(failed=True, msg='?'), input_result=bad_input) == dict(
        step='input', message='Invalid input for acme: x')
    assert failure(dict(failed=True, failed_step='guard', msg='would lock out'), input_result=dict(failed=False)) == \
        dict(step='guard', message='would lock out')
    step1 = failure(FAILED_CLIENT, clients_before=FAILED_CLIENT)
    assert step1 == dict(step='clients_before', message='No change was made: a preserved OAuth client fails before the '
                         'change. Routing bot: FAILED - token: HTTP 401')
    unreachable = dict(FAILED_CLIENT, msg='the Genesys Cloud host could not be reached, so the preserved clients ...')
    assert 'this is not a failure of the clients' in failure(unreachable, clients_before=FAILED_CLIENT)['message']
    kept = failure(dict(failed=True, not_kept=['sso_binding']), org='acme', provider_type='okta')
    assert kept['step'] == 'verify' and 'Genesys Cloud did not keep sso_binding' in kept['message']
    assert failure(dict(failed=True, msg='boom')) == dict(step='unknown', message='boom')
    assert failure(dict(failed=True, msg='boom'), otherwise='read')['step'] == 'read'
    assert failure({})['message'] == 'failed (see the task output above)'


def test_the_drift_of_a_verify_run_lists_every_field_before_and_after():
    result = dict(failed=True, changed=True, existed=True,
                  changed_options=['certificates', 'issuer_uri', 'relying_party_identifier'],
                  diff=dict(before=dict(issuer_uri='urn:old', certificates=[CERT_OLD]),
                            after=dict(issuer_uri='urn:new', relying_party_identifier='genesys.cloud.acme',
                                       certificates=[CERT_NEW])))
    drift = failure(result, org='acme', provider_type='okta', verify_only=True)
    assert drift['step'] == 'drift'
    assert drift['message'] == (
        'The okta provider of acme differs from saml_sso_provider in certificates, issuer_uri, relying_party_identifier'
        ' (on the platform -> in saml_sso_provider): certificates - removed CN=old (SHA-256 AA:AA:AA:AA:AA:AA:AA:AA...,'
        ' expires 2026-01-01T00:00:00Z) + added CN=new (SHA-256 BB:BB:BB:BB:BB:BB:BB:BB..., expires'
        ' 2028-01-01T00:00:00Z); issuer_uri "urn:old" -> "urn:new"; relying_party_identifier (not set) ->'
        ' "genesys.cloud.acme". Run the role without --tags verify to configure it.')
    created = failure(dict(result, existed=False), org='acme', provider_type='okta', verify_only=True)['message']
    assert 'does not exist; saml_sso_provider would create it with certificates' in created
    # a long value is cut to 120 characters (its JSON, quotes included)
    assert drift_details(dict(changed_options=['name'], diff=dict(after=dict(name='x' * 300)))) == \
        'name (not set) -> "' + 'x' * 116 + '...'
    assert drift_details(dict(changed_options=['certificates'], diff=dict(before=dict(certificates=[CERT_OLD]),
                                                                          after=dict(certificates=[CERT_OLD])))) == \
        'certificates differ in order or form'
    assert drift_details({}) == 'see the diff of step 4 (run with --diff)'
    # the permission check of a verify run says what drifted, then the missing permission
    denied = failure(dict(result, failed_step='permissions', msg='missing sso:provider:edit'), org='acme',
                     provider_type='okta', verify_only=True)
    assert denied['step'] == 'permissions' and denied['message'].endswith('configure it. missing sso:provider:edit')


def test_a_failure_after_the_change_shows_the_clients_before_and_after():
    before = dict(passed=True, report=[dict(client_id='bot', name='Routing bot', passed=True)])
    after = FAILED_CLIENT
    message = failure(dict(failed=True, failed_step='clients_after', msg='A client broke; rolled back.',
                           clients_before=before, clients_after=after))['message']
    assert message == ('A client broke; rolled back. Before the change: Routing bot: OK. After the change: Routing bot: '
                       'FAILED - token: HTTP 401.')


# ------------------------------------------------------------------ the report

def test_the_report_fails_only_failed_orgs_and_audits_with_findings_when_asked():
    assert org_failure(dict(status='ok', kind='configure')) == ''
    assert org_failure(dict(status='failed', failed_step='write', error='HTTP 500'), org='acme') == \
        'acme: failed at "write": HTTP 500'
    assert org_failure({}, org='acme') == 'acme: failed at "unknown": no summary was recorded'
    audit = dict(status='ok', kind='audit', org='acme', findings=['okta: certificate EXPIRED'])
    assert org_failure(audit) == ''
    assert org_failure(audit, True) == 'acme: findings: okta: certificate EXPIRED'


def test_the_run_artifacts_are_one_dict_per_kind_keyed_by_host():
    ok = dict(kind='configure', status='ok', org='a', mode='apply', changed=False, action='unchanged', lines=['a: ok'])
    audit = dict(kind='audit', status='ok', org='c', findings=[], lines=['c: healthy'])
    hostvars = dict(a=dict(saml_sso_result=ok), b={}, c=dict(saml_sso_result=audit))
    stats = run_report(hostvars, ['a', 'b', 'c'])['stats']
    assert stats['saml_sso_summary'] == dict(a=ok)
    assert stats['saml_sso_audit'] == dict(c=audit)
    assert set(stats) == {'saml_sso_summary', 'saml_sso_audit', 'saml_sso_plan'}
    assert set(run_report(dict(a=dict(saml_sso_result=ok)), ['a'])['stats']) == {'saml_sso_summary', 'saml_sso_plan'}


# ------------------------------------------------------------------ the playbooks' hosts filter

def test_the_hosts_filter_is_the_identity_and_loads_every_action_and_filter_plugin():
    pattern = "genesys_orgs:&prod"
    assert sso_hosts.hosts(pattern) is pattern
    assert sso_hosts.FilterModule().filters()['sso_hosts'](['a', 'b']) == ['a', 'b']
    names = sso_hosts.plugin_modules()
    plugins = os.path.join(os.path.dirname(os.path.abspath(sso_hosts.__file__)), '..')
    for kind in ('action', 'filter'):
        files = sorted(f[:-3] for f in os.listdir(os.path.join(plugins, kind)) if f.endswith('.py') and f != '__init__.py')
        assert files and [n.rsplit('.', 1)[1] for n in names if '.plugins.%s.' % kind in n] == files
    assert all(name in sys.modules for name in sso_hosts.preload())


# ------------------------------------------------------------------ the audit

def test_the_audit_summary_counts_findings_and_prints_its_lines():
    expired = dict(subject='CN=old', fingerprint='AA', not_after='2020-01-01T00:00:00Z', days_left=-4)
    providers = dict(organization=dict(id='o1', name='Acme', short_name='acme'),
                     providers=[dict(type='okta', name='Okta', enabled=True, certificates=[expired])])
    healthy = audit_summary(dict(providers=[]), dict(skipped=True), org='acme')
    assert healthy['status'] == 'ok' and healthy['findings'] == [] and healthy['clients']['checked'] == 0
    assert healthy['lines'] == ['acme: healthy', AUDIT_NOT_VERIFIED, 'No identity provider is configured yet.']
    found = audit_summary(providers, FAILED_CLIENT, org='acme', preserved_clients=1)
    assert found['organization'] == dict(id='o1', name='Acme', short_name='acme')
    assert found['client_failed'] is True and len(found['expired_certificates']) == 1
    assert found['lines'][0].startswith('acme: certificate EXPIRED') and AUDIT_NOT_VERIFIED not in found['lines']
    assert found['lines'][-1] == 'Routing bot: FAILED - token: HTTP 401'
    failed = audit_summary({}, {}, org='acme', failed=True, failed_step='read', error='HTTP 500', preserved_clients=1)
    assert failed['status'] == 'failed' and failed['lines'][0] == 'acme: FAILED at "read": HTTP 500'
    assert org_failure(failed) == 'acme: failed at "read": HTTP 500'
