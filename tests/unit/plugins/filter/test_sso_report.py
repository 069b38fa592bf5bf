# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run of the saml_sso role as a whole (plugins/filter/sso_report.py over plugin_utils/genesys_report.py): the compact
diff (certificates matched by fingerprint), the plan line, the honest audit (EXPIRED, counted apart), the warnings
about the org's other providers, the report rows and files, and the warnings named by their org (action base)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import socket

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.genesyscloud.sso.plugins.filter.sso_report import FilterModule
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import name_the_host
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_report import (
    audit_findings,
    closing_lines,
    compact_diff,
    compact_diff_lines,
    other_provider_warnings,
    outcome,
    plan_line,
    render_csv,
    render_html,
    report_rows,
)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import client_lines, summary
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_info_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import check_client
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi, make_cert

OLD = dict(fingerprint='AA:01', subject='CN=idp signing', not_after='2026-12-20T00:00:00Z')
NEW = dict(fingerprint='BB:02', subject='CN=idp signing', not_after='2028-01-01T00:00:00Z')
BEFORE = dict(type='okta', family='per_type', id='okta', name='Okta', enabled=True, issuer_uri='https://old/x',
              sso_target_uri='https://idp/sso', certificates=[OLD])
AFTER = dict(BEFORE, issuer_uri='https://new/x', certificates=[NEW], slo_uri='https://idp/slo')


def configure_result(org, action='unchanged', changed=False, mode='apply', status='ok', **extra):
    r = dict(kind='configure', org=org, status=status, mode=mode, changed=changed, action=action,
             changed_fields=['issuer_uri'] if changed else [], provider=dict(type='okta', name='Okta'),
             certificates=[dict(OLD, days_left=19)], clients_before=dict(checked=1, passed=True),
             clients_after=dict(checked=1 if changed else 0, passed=True if changed else None), oauth_verified=True,
             backup_file='/b/%s.json' % org if changed else '', error='', failed_step='')
    r.update(extra)
    return r


def test_compact_diff_shows_only_changed_fields_and_matches_certificates_by_fingerprint():
    changes = compact_diff(dict(before=BEFORE, after=AFTER))
    assert changes == [
        ('~', 'issuer_uri: "https://old/x" -> "https://new/x"'),
        ('+', 'slo_uri: "https://idp/slo"'),
        ('-', 'removed certificate <AA:01, CN=idp signing, expires 2026-12-20T00:00:00Z>'),
        ('+', 'added certificate <BB:02, CN=idp signing, expires 2028-01-01T00:00:00Z>'),
    ]  # two certificates sharing a subject are a removal and an addition, never "the same" one
    lines = compact_diff_lines('org-0037', dict(before=BEFORE, after=AFTER))
    assert lines[0] == "--- org-0037: okta 'Okta' (update, id okta)"
    assert all(line.startswith('  ') for line in lines[1:]) and 'sso_target_uri' not in '\n'.join(lines)
    assert compact_diff_lines('o', dict(before=BEFORE, after=BEFORE)) == []
    created = compact_diff_lines('o', dict(before={}, after=dict(AFTER, id=None)), ptype='okta')
    assert created[0] == "--- o: okta 'Okta' (create)" and '  + added certificate <BB:02' in created[-1]
    assert compact_diff_lines('o', dict(before=BEFORE, after={}))[0] == "--- o: okta 'Okta' (delete, id okta)"


def test_plan_line_counts_every_org_once_and_says_plan_or_applied():
    results = [configure_result('a', 'created', True, 'check'), configure_result('b', 'updated', True, 'check'),
               configure_result('c', mode='check'), configure_result('d', status='failed', mode='check'), {}]
    assert plan_line(results) == 'Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged, 2 failed'
    applied = [configure_result('a', 'created', True), configure_result('b', 'updated', True), configure_result('c')]
    assert plan_line(applied) == 'Applied: 1 created, 1 updated, 0 deleted, 1 unchanged, 0 failed'
    assert plan_line([configure_result('c', mode='verify')]).startswith('Plan: 0 to create')
    assert outcome(configure_result('x', mode='check'))[1] == 'no change'
    assert outcome(configure_result('x', 'updated', True))[1] == 'updated issuer_uri'


def test_the_audit_says_expired_and_counts_findings_apart():
    providers = [dict(type='okta', name='Okta', enabled=True, certificates=[dict(OLD, days_left=-4)]),
                 dict(type='adfs', name=None, enabled=False, certificates=[dict(NEW, days_left=12)]),
                 dict(type='generic', name='G', enabled=True, certificates=[dict(NEW, days_left=200)])]
    found = audit_findings(providers, 30)
    assert found['expired'] == ["certificate EXPIRED: okta 'Okta' CN=idp signing expired 2026-12-20T00:00:00Z "
                                "(4 days ago)"]
    assert found['expiring'] == ["certificate expiring: adfs 'adfs' CN=idp signing expires 2028-01-01T00:00:00Z "
                                 "(in 12 days)"]
    assert not any('-4' in line for line in found['findings'])
    token = dict(name='token', passed=False, detail='HTTP 401')
    failing = dict(passed=False, report=[dict(name='bot', passed=False, checks=[token])])
    assert audit_findings([], 30, failing, client_lines(failing))['client_failed'] == [
        'OAuth client FAILED: bot: FAILED - token: HTTP 401']

    def audit(org, expired=(), expiring=(), client_failed=False, status='ok'):
        return dict(kind='audit', org=org, status=status, mode='audit', expired_certificates=list(expired),
                    expiring_certificates=list(expiring), client_failed=client_failed,
                    findings=list(expired) + list(expiring), oauth_verified=True)
    results = dict(h1=audit('h1'), h2=audit('h2', expiring=['x']), h3=audit('h3', expiring=['y']),
                   h4=audit('h4', expired=['certificate EXPIRED: z']), h5=audit('h5', client_failed=True),
                   h6=audit('h6', status='failed'))
    lines = closing_lines(results)
    assert lines[0] == '6 org(s): 1 healthy, 2 expiring, 1 EXPIRED, 1 OAuth client failing, 1 failed (h6)'
    assert lines[-1] == 'Audit: 1 healthy, 2 expiring, 1 EXPIRED, 1 OAuth client failing, 1 failed'
    assert lines[4] == 'h4: certificate EXPIRED: z'


def test_the_configure_header_keeps_its_form_and_ends_with_the_plan():
    lines = closing_lines(dict(a=configure_result('a', 'updated', True, 'check'), b=configure_result('b', mode='check'),
                               c=configure_result('c', status='failed', mode='check', failed_step='read', error='boom')))
    assert lines == ['3 org(s): 1 changed, 1 unchanged/healthy, 1 failed (c)', 'a: would change issuer_uri',
                     'b: no change needed', 'c: FAILED at "read": boom',
                     'Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged, 1 failed']


def test_configure_warns_about_the_other_enabled_providers_certificates():
    overview = [dict(type='okta', family='per_type', name='Okta', enabled=True, certificates=[dict(OLD, days_left=-4)]),
                dict(type='adfs', family='per_type', name='ADFS', enabled=False, certificates=[dict(OLD, days_left=-9)]),
                dict(type='generic', family='per_type', name='Corp', enabled=True, certificates=[dict(OLD, days_left=-1)]),
                dict(type='custom', family='custom', id='c1', name='Other', enabled=True,
                     certificates=[dict(NEW, days_left=10)])]
    lines = other_provider_warnings('org-7', overview, dict(type='generic'), 30)
    assert len(lines) == 2  # not the disabled ADFS, not the provider being configured
    assert lines[0].startswith("org-7: another enabled identity provider of this org has an EXPIRED certificate: "
                               "okta 'Okta' CN=idp signing expired")
    assert 'a certificate expiring soon' in lines[1] and "custom 'Other'" in lines[1]
    assert other_provider_warnings('o', overview, dict(type='custom', id='c1'), 30)[-1].count('generic') == 1
    step4 = dict(changed=False, provider=dict(type='generic', name='Corp', enabled=True), providers=overview,
                 certificates=[], diff=dict(before={}, after={}))
    r = summary(step4, org='org-7', provider_type='generic', mode='check')
    assert r['warnings'] == lines and ('WARNING: ' + lines[0]) in r['lines']


def test_an_unreachable_host_is_not_a_failing_client():
    check = dict(passed=False, report=[dict(name='bot', client_id='b', passed=False, unreachable=True, checks=[
        dict(name='token', passed=False, detail='POST /oauth/token failed connection.error - connection refused '
                                                '(https://127.0.0.1:9/oauth/token).')])])
    line = client_lines(check)[0]
    assert line.startswith('bot: NOT CHECKED - the Genesys Cloud host could not be reached: ') and 'FAILED' not in line
    r = summary({}, org='o', failed=True, failed_step='clients_before', error='x', clients_before=check)
    assert 'Preserved OAuth clients before the change: 1 checked, NOT CHECKED (the Genesys Cloud host could not be ' \
           'reached)' in r['lines']
    assert report_rows(dict(o=r))[0]['clients_before'] == 'not checked (API host unreachable)'


def test_report_rows_and_files():
    results = dict(b=configure_result('b', 'updated', True), a=configure_result('a'), z={})
    rows = report_rows(results, dict(a='eu-west-1'))
    assert [r['org'] for r in rows] == ['a', 'b', 'z']
    assert rows[0]['region'] == 'eu-west-1' and rows[0]['certificate_days_left'] == 19
    assert rows[1]['action'] == 'update' and rows[1]['changed_fields'] == ['issuer_uri'] and rows[1]['backup_file']
    assert rows[2]['status'] == 'failed' and rows[2]['error'].startswith('FAILED before its summary')
    table = list(csv.DictReader(io.StringIO(render_csv(rows))))
    assert [t['org'] for t in table] == ['a', 'b', 'z'] and table[1]['clients_after'] == '1 ok'
    page = render_html(rows + [dict(org='<script>x</script>', action='failed')], dict(kind='configure', plan='Plan: x'))
    assert '<script>x' not in page and '&lt;script&gt;x' in page
    assert 'src=' not in page and 'href=' not in page and 'http://' not in page  # self-contained
    f = FilterModule().filters()
    report = dict(kind='apply', plan='Applied: ...', rows=rows)
    assert json.loads(f['sso_report_file'](report, 'json', 't'))['orgs'][1]['org'] == 'b'
    with pytest.raises(AnsibleFilterError):
        f['sso_report_file'](report, 'xml')


def test_run_report_reads_hostvars():
    hostvars = dict(a=dict(saml_sso_result=configure_result('a'), saml_sso_region='eu-west-1'),
                    b=dict(saml_sso_api_url='https://127.0.0.1:1'))
    report = FilterModule().filters()['sso_run_report'](hostvars, ['a', 'b'])
    assert report['plan'] == 'Applied: 0 created, 0 updated, 0 deleted, 1 unchanged, 1 failed'
    assert [r['region'] for r in report['rows']] == ['eu-west-1', 'https://127.0.0.1:1']


def test_every_warning_of_an_action_names_its_org():
    result = dict(warnings=['Genesys Cloud: HTTP 429 on GET /x; retry 1 of 5', 'org-3: already named'])
    assert name_the_host(result, dict(inventory_hostname='org-3'))['warnings'] == [
        'org-3: Genesys Cloud: HTTP 429 on GET /x; retry 1 of 5', 'org-3: already named']
    assert name_the_host(dict(changed=False), dict(inventory_hostname='o')) == dict(changed=False)
    diff = name_the_host(dict(diff=dict(before={}, after=dict(type='okta', name='Okta'))), dict(inventory_hostname='o'))
    assert diff['diff']['before_header'] == diff['diff']['after_header'] == "o: okta 'Okta'"


def test_the_info_module_returns_name_always():
    """The documented map(attribute='name') must work on a provider created without a name."""
    adfs = dict(issuerURI='https://adfs/x', ssoTargetURI='https://adfs/ls', certificate=make_cert('adfs'), disabled=True)
    okta = dict(name='Okta', issuerURI='https://okta/x', ssoTargetURI='https://okta/s', certificate=make_cert('okta'),
                disabled=False)
    fake = FakeIdpApi(providers=dict(adfs=adfs, okta=okta))
    params = dict((k, None) for k in _genesys_identity_provider_info_core.SPEC['argument_spec'])
    params.update(include_organization=False, include_api_fields=False)
    with RunContext(check_mode=False, diff_mode=False) as ctx:
        result = _genesys_identity_provider_info_core.core(params, ctx, client=fake)
    assert dict((p['type'], p['name']) for p in result['providers']) == dict(adfs=None, okta='Okta')


def test_a_connection_error_names_the_url_and_the_unreachable_client_is_marked():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    url = 'https://127.0.0.1:%d' % sock.getsockname()[1]
    sock.close()
    client = GenesysClient(dict(api_url=url, client_id='a', client_secret='b', retries=0, timeout=2))
    with pytest.raises(GenesysError) as err:
        client.get('/api/v2/organizations/me?x=1')
    assert '(%s/oauth/token)' % url in err.value.describe()  # the token request, the first to go out
    target = dict(client_id='bot', client_secret='bot-secret', name='bot', expect={}, probe_paths=[])
    params = dict(api_url=url, login_url=url, retries=0, timeout=2, validate_certs=True)
    with RunContext(check_mode=False, diff_mode=False) as ctx:
        entry = check_client(params, target, ctx)
    assert entry['passed'] is False and entry['unreachable'] is True
    assert client_lines(dict(passed=False, report=[entry]))[0].startswith(
        'bot: NOT CHECKED - the Genesys Cloud host could not be reached: POST /oauth/token failed')
