# -*- coding: utf-8 -*-
"""A fleet run an ops team can review (issue 16 items 1, 2, 3 and 5), against the emulator, in three runs that share
one emulator:

1. ``configure_sso.yml --check --diff`` with the ``genesyscloud.sso.sso_plan`` callback beside the default one: every
   diff headed by org, provider type and name, compact (only the changed fields; a certificate rotation that keeps
   the subject is one removed and one added certificate, matched by fingerprint); a progress line per org; the plan
   line; a warning about the org's OTHER enabled provider whose certificate EXPIRED; every warning names its org;
   the unreachable API host is named by its URL and is not "a preserved OAuth client fails"; the report files (one
   JSON, one CSV, one HTML for the run, 0600) checked row by row against the emulator's state.
2. the real run with ``sso_plan`` as the stdout callback (quiet mode): only the per-org lines and ``Applied: ...``;
   the report rows against the emulator's state after the write.
3. ``audit_sso.yml`` through ansible-runner (the AWX engine) with the callback enabled: the progress and plan lines
   reach the job's stdout, ``saml_sso_plan`` is in the job's artifacts; the audit says EXPIRED and counts its findings
   apart; the ``_info`` providers carry ``name`` always; the HTML report is opened in headless Chromium and what it
   shows is checked against the emulator.
"""

import csv
import datetime
import glob
import html.parser
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest

from helpers import BIN, PYTHON, base_env, run_playbook
from role_helpers import AUDIT, CONFIGURE, inventory, org_seed, provider_vars, providers_of, writes

from genesys_emulator.saml_idp import TestIdP

NOW = datetime.datetime.now(datetime.timezone.utc)
IDP = TestIdP(entity_id='https://idp.fleet.example/entity', sso_url='https://idp.fleet.example/sso',
              common_name='Fleet IdP signing')
# the certificate being rotated out: same subject as the new one, another key (two certs share a subject)
OLD = TestIdP(entity_id=IDP.entity_id, sso_url=IDP.sso_url, common_name='Fleet IdP signing', valid_days=40,
              not_before=NOW - datetime.timedelta(days=30))
SOON = TestIdP(entity_id='https://idp.soon.example/entity', sso_url='https://idp.soon.example/sso',
               common_name='Soon IdP signing', valid_days=12)
EXPIRED = TestIdP(entity_id='http://www.okta.com/exkexpired', sso_url='https://fleet.okta.example/sso',
                  common_name='Okta expired', valid_days=10, not_before=NOW - datetime.timedelta(days=14))
ORGS = ['fr-down', 'fr-new', 'fr-ok', 'fr-rot']


def _org(name, index, providers=None):
    org = org_seed(name, index, providers=providers)
    org['clients'][0]['permissions'] = ['sso:provider:*', 'oauth:client:view', 'authorization:role:view']
    return org


def _generic(idp, org):
    return {'name': 'Corp IdP', 'issuerURI': idp.entity_id, 'ssoTargetURI': idp.sso_url,
            'certificates': [idp.certificate_b64], 'relyingPartyIdentifier': 'genesys.cloud.%s' % org,
            'disabled': False}


SEED = {'orgs': [
    _org('fr-down', 951),
    # a disabled ADFS provider without a name: the _info module returns name (null) for it
    _org('fr-new', 952, providers={'adfs': {'issuerURI': 'https://adfs.example/adfs', 'disabled': True,
                                            'ssoTargetURI': 'https://adfs.example/adfs/ls',
                                            'certificates': [IDP.certificate_b64]}}),
    _org('fr-ok', 953, providers={'generic': _generic(SOON, 'fr-ok')}),
    _org('fr-rot', 954, providers={'generic': _generic(OLD, 'fr-rot'),
                                   'okta': {'name': 'Okta', 'issuerURI': EXPIRED.entity_id, 'disabled': False,
                                            'ssoTargetURI': EXPIRED.sso_url,
                                            'certificates': [EXPIRED.certificate_b64]}}),
]}
pytestmark = pytest.mark.emulator_seed(SEED)
CALLBACK = 'genesyscloud.sso.sso_plan'
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope='module')
def fleet(emulator, tmp_path_factory):
    """The three runs (check with the callback, quiet apply, audit through ansible-runner), once for the module."""
    emulator.reset()
    work = tmp_path_factory.mktemp('fleet')
    down = 'https://127.0.0.1:%d' % _closed_port()
    overrides = {'fr-down': {'saml_sso_api_url': down, 'saml_sso_login_url': down, 'saml_sso_retries': 1},
                 'fr-ok': {'saml_sso_provider': provider_vars(SOON)}}
    runs = dict(down=down, work=work)

    inv = inventory(emulator, ORGS, provider_vars(IDP), work / 'backups', host_overrides=overrides,
                    saml_sso_report_dir=str(work / 'check'))
    runs['state_before'] = dict((org, providers_of(emulator, org)) for org in ORGS)
    runs['check'] = run_playbook(CONFIGURE, inventory=inv, check=True, diff=True,
                                 env={'ANSIBLE_CALLBACKS_ENABLED': 'e2e_jsonl,' + CALLBACK})
    runs['check_writes'] = writes(emulator.requests())

    inv['genesys_orgs']['vars']['saml_sso_report_dir'] = str(work / 'apply')
    runs['apply'] = run_playbook(CONFIGURE, inventory=inv, env={'ANSIBLE_STDOUT_CALLBACK': CALLBACK})
    runs['state_after'] = dict((org, providers_of(emulator, org)) for org in ORGS)

    inv['genesys_orgs']['vars']['saml_sso_report_dir'] = str(work / 'audit')
    runs['audit'] = _runner(AUDIT, inv, work)
    return runs


def _runner(playbook, inv, work):
    """The audit as an AWX job runs it: ansible-runner (awx_display stdout callback) plus our callback enabled."""
    import ansible_runner

    private = tempfile.mkdtemp(prefix='e2e-fleet-runner-', dir=str(work))
    os.makedirs(os.path.join(private, 'project'))
    shutil.copy(playbook, os.path.join(private, 'project', 'site.yml'))
    inv = json.loads(json.dumps(inv))
    inv['genesys_orgs']['vars'].update(ansible_connection='local', ansible_python_interpreter=PYTHON)
    env = dict((k, v) for k, v in base_env().items() if k.startswith('ANSIBLE_'))
    env.pop('ANSIBLE_STDOUT_CALLBACK', None)
    env['ANSIBLE_CALLBACKS_ENABLED'] = CALLBACK
    old_path = os.environ.get('PATH', '')
    os.environ['PATH'] = BIN + os.pathsep + old_path
    try:
        runner = ansible_runner.run(private_data_dir=private, playbook='site.yml', inventory={'all': {'children': inv}},
                                    envvars=env, quiet=True, timeout=300)
    finally:
        os.environ['PATH'] = old_path
    return dict(runner=runner, events=list(runner.events), stdout=runner.stdout.read())


def _report_files(directory, kind):
    files = sorted(glob.glob(os.path.join(str(directory), 'sso-%s-*' % kind)))
    assert [os.path.splitext(f)[1] for f in files] == ['.csv', '.html', '.json'], files
    assert len(set(os.path.splitext(f)[0] for f in files)) == 1  # one run time for the three files
    assert re.search(r'sso-%s-\d{8}T\d{6}Z\.json$' % kind, files[2])
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    with open(files[2]) as handle:
        rows = dict((row['org'], row) for row in json.load(handle)['orgs'])
    with open(files[0]) as handle:
        table = dict((row['org'], row) for row in csv.DictReader(handle))
    assert sorted(rows) == sorted(table) == ORGS  # a row per org, once
    return files, rows, table


def _fingerprint(idp):
    raw = idp.fingerprint_sha256.replace(':', '').upper()
    return ':'.join(raw[i:i + 2] for i in range(0, len(raw), 2))


def test_check_diff_is_labelled_compact_and_ends_with_the_plan(fleet):
    run = fleet['check']
    out = run.stdout
    assert run.rc == 2, run  # fr-down fails (late, after every org's summary)
    assert fleet['check_writes'] == []
    # the rotation: one header naming org, type and name; only the changed certificates, matched by fingerprint
    block = out[out.index("--- fr-rot: generic 'Corp IdP' (update"):]
    lines = block.splitlines()
    block = [lines[0]]
    for line in lines[1:]:
        if not line.startswith('  '):
            break
        block.append(line)
    assert block[1:] == ['  - removed certificate <%s, CN=Fleet IdP signing, expires %s>'
                         % (_fingerprint(OLD), OLD.certificate.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ')),
                         '  + added certificate <%s, CN=Fleet IdP signing, expires %s>'
                         % (_fingerprint(IDP), IDP.certificate.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ'))]
    assert "--- fr-new: generic 'Corp IdP' (create)" in out
    # the default callback's full diff is headed by the org, type and name too (not a bare --- before / +++ after)
    assert "--- before: fr-rot: generic 'Corp IdP'\n+++ after: fr-rot: generic 'Corp IdP'\n" in out
    assert '--- before\n' not in out
    assert '--- fr-ok' not in out  # no change, no diff
    # a progress line per org, each org once, and the plan line at the end
    progress = re.findall(r'^\[(\d+)/4\] (fr-[a-z]+): (.*)$', out, re.M)
    assert sorted(p[1] for p in progress) == ORGS and sorted(p[0] for p in progress) == ['1', '2', '3', '4']
    lines = dict((p[1], p[2]) for p in progress)
    assert lines['fr-ok'] == 'no change' and lines['fr-rot'] == 'would update certificates'
    assert lines['fr-new'].startswith('would create the provider (')
    assert out.rstrip().splitlines()[-1] == 'Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged, 1 failed'
    closing = run.task('genesyscloud.sso.saml_sso : Summarise every org of this run')['result']['msg']
    assert closing[0] == '4 org(s): 2 changed, 1 unchanged/healthy, 1 failed (fr-down)'
    assert closing[-1] == 'Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged, 1 failed'


def test_warnings_name_their_org_and_an_unreachable_host_is_not_a_failing_client(fleet):
    run = fleet['check']
    text = run.stdout + run.stderr
    warnings = [line for line in text.splitlines() if line.startswith('[WARNING]: ')]
    assert warnings and all(re.match(r'\[WARNING\]: fr-[a-z]+: ', w) for w in warnings), warnings
    assert any(w.startswith('[WARNING]: fr-down: reporting-bot: Genesys Cloud: connection refused') for w in warnings)
    # configure warns about the org's OTHER enabled provider whose certificate expired
    expired = [w for w in warnings if 'another enabled identity provider' in w]
    assert len(expired) == 1 and expired[0].startswith(
        "[WARNING]: fr-rot: another enabled identity provider of this org has an EXPIRED certificate: okta 'Okta' "
        "CN=Okta expired expired ")
    summary = run.task('genesyscloud.sso.saml_sso : Build the summary of this org (step 7)', 'fr-rot')
    assert summary['result']['ansible_facts']['saml_sso_result']['warnings'] == [expired[0][len('[WARNING]: '):]]
    # the unreachable host: its URL, and not "a preserved OAuth client fails"
    down = run.task('genesyscloud.sso.saml_sso : Build the summary of this org (step 7)', 'fr-down')
    error = down['result']['ansible_facts']['saml_sso_result']['error']
    assert error.startswith('No change was made: the Genesys Cloud host could not be reached, so the preserved '
                            'OAuth clients were not checked (this is not a failure of the clients).'), error
    assert '(%s/oauth/token)' % fleet['down'] in error and 'fails before the change' not in error
    assert 'reporting-bot: NOT CHECKED - the Genesys Cloud host could not be reached' in error


def test_check_report_files_one_per_run_row_by_row_against_the_emulator(fleet):
    _files, rows, table = _report_files(fleet['work'] / 'check', 'configure')
    state = fleet['state_before']  # check mode wrote nothing: the rows describe the org as it is and the plan
    assert rows['fr-rot']['action'] == 'update' and rows['fr-rot']['changed_fields'] == ['certificates']
    assert rows['fr-rot']['provider_name'] == state['fr-rot']['generic']['name'] == 'Corp IdP'
    assert rows['fr-ok']['action'] == 'unchanged' and rows['fr-ok']['certificate_days_left'] in (11, 12)
    assert rows['fr-new']['action'] == 'create' and 'generic' not in state['fr-new']
    assert rows['fr-down']['status'] == 'failed' and fleet['down'] in rows['fr-down']['error']
    assert rows['fr-down']['clients_before'] == 'not checked (API host unreachable)'
    assert [rows[o]['clients_before'] for o in ORGS[1:]] == ['1 ok'] * 3
    assert "another enabled identity provider" in rows['fr-rot']['warnings'][0]
    assert table['fr-rot']['changed_fields'] == 'certificates' and table['fr-ok']['action'] == 'unchanged'
    assert all(rows[o]['region'] for o in ORGS) and rows['fr-down']['region'] == fleet['down']


def test_quiet_mode_prints_only_the_org_lines_and_the_plan_and_the_report_matches_the_write(fleet, emulator):
    run = fleet['apply']
    assert run.rc == 2, run
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(lines) == 5, run.stdout
    assert [re.match(r'^\[\d/4\] (fr-[a-z]+): ', line).group(1) for line in lines[:4]] != []
    assert sorted(re.match(r'^\[\d/4\] (fr-[a-z]+): ', line).group(1) for line in lines[:4]) == ORGS
    assert lines[-1] == 'Applied: 1 created, 1 updated, 0 deleted, 1 unchanged, 1 failed'
    assert 'TASK [' not in run.stdout and 'PLAY RECAP' not in run.stdout and '--- ' not in run.stdout
    assert any(line.startswith('[WARNING]: fr-rot: another enabled') for line in run.stderr.splitlines())
    _files, rows, _table = _report_files(fleet['work'] / 'apply', 'configure')
    state = fleet['state_after']
    for org in ('fr-new', 'fr-rot'):
        row = rows[org]
        assert row['action'] in ('create', 'update') and row['status'] == 'ok'
        assert row['provider_name'] == state[org]['generic']['name']
        assert row['backup_file'] and os.path.exists(row['backup_file'])
        assert row['clients_before'] == row['clients_after'] == '1 ok'
        assert state[org]['generic']['certificates'] == [IDP.certificate_b64] or \
            IDP.certificate_b64 in json.dumps(state[org]['generic'])
    assert rows['fr-ok']['action'] == 'unchanged' and rows['fr-ok']['backup_file'] == ''


class _Text(html.parser.HTMLParser):
    """The table of a page as a person reads it: the text of each cell, row by row (no script runs in the page)."""

    def __init__(self):
        html.parser.HTMLParser.__init__(self)
        self.rows, self.cell, self.plan, self._in_plan = [], None, '', False

    def handle_starttag(self, tag, attrs):
        if tag == 'tr':
            self.rows.append([])
        elif tag in ('td', 'th'):
            self.cell = ''
        elif tag == 'p' and ('id', 'plan') in attrs:
            self._in_plan = True

    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None
        elif tag == 'p':
            self._in_plan = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self._in_plan:
            self.plan += data


def test_the_audit_through_ansible_runner_is_honest_and_its_html_report_opens_in_chromium(fleet, tmp_path):
    audit = fleet['audit']
    runner, events, stdout = audit['runner'], audit['events'], audit['stdout']
    assert runner.rc == 2, stdout[-3000:]
    # the callback works beside awx_display: its lines are in the job's stdout
    assert re.search(r'^\[\d/4\] fr-rot: certificate EXPIRED: okta \'Okta\' CN=Okta expired expired \S+ '
                     r'\(\d+ days ago\)$', stdout, re.M), stdout[-3000:]
    plan = 'Audit: 1 healthy, 1 expiring, 1 EXPIRED, 0 OAuth client failing, 1 failed'
    assert stdout.rstrip().splitlines()[-1].endswith(plan) or plan in stdout.splitlines()[-1], stdout[-500:]
    assert '(-4 days)' not in stdout
    stats = [e for e in events if e.get('event') == 'playbook_on_stats'][0]['event_data']['artifact_data']
    assert stats['saml_sso_plan'] == plan
    results = stats['saml_sso_audit']
    assert results['fr-ok']['expiring_certificates'][0].startswith("certificate expiring: generic 'Corp IdP' "
                                                                   "CN=Soon IdP signing expires ")
    assert results['fr-rot']['expired_certificates'] and not results['fr-rot']['expiring_certificates']
    # _info returns name always (null for the ADFS provider created without one)
    assert all('name' in p for r in results.values() for p in r['providers'])
    assert [p['name'] for p in results['fr-new']['providers'] if p['type'] == 'adfs'] == [None]
    closing = [e for e in events if e.get('event') == 'runner_on_ok'
               and e['event_data'].get('task', '').endswith('Summarise every org of this run')]
    assert closing[0]['event_data']['res']['msg'][0] == (
        '4 org(s): 1 healthy, 1 expiring, 1 EXPIRED, 0 OAuth client failing, 1 failed (fr-down)')

    files, rows, _table = _report_files(fleet['work'] / 'audit', 'audit')
    assert CHROMIUM, 'chromium is not installed: make deps (as root) installs it (apt-get install chromium)'
    profile = str(tmp_path / 'chromium')
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--user-data-dir=' + profile,
           '--host-resolver-rules=MAP * ~NOTFOUND']  # a self-contained page needs no network
    dom = subprocess.run(cmd + ['--dump-dom', 'file://' + files[1]], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    shot = str(tmp_path / 'report.png')
    subprocess.run(cmd + ['--window-size=1400,700', '--screenshot=' + shot, 'file://' + files[1]],
                   capture_output=True, timeout=60, check=True)
    assert os.path.getsize(shot) > 10000  # the page rendered
    page = _Text()
    page.feed(dom)
    assert page.plan.strip() == plan
    head, body = page.rows[0], page.rows[1:]
    assert head[:4] == ['Org', 'Region', 'Status', 'Action'] and 'Lowest certificate days left' in head
    seen = dict((row[0], dict(zip(head, row))) for row in body)
    assert sorted(seen) == ORGS
    state = fleet['state_after']
    lowest = min(c['days_left'] for p in results['fr-rot']['providers'] for c in p['certificates'])
    assert lowest < 0 and seen['fr-rot']['Action'] == 'expired'
    assert seen['fr-rot']['Lowest certificate days left'] == str(lowest) == str(rows['fr-rot']['certificate_days_left'])
    assert 'certificate EXPIRED' in seen['fr-rot']['Findings']
    assert seen['fr-ok']['Action'] == 'expiring' and seen['fr-new']['Action'] == 'healthy'
    assert seen['fr-down']['Status'] == 'failed' and fleet['down'] in seen['fr-down']['Error']
    for org in ('fr-new', 'fr-ok', 'fr-rot'):
        names = sorted(p.get('name') or ptype for ptype, p in state[org].items() if isinstance(p, dict))
        assert sorted(seen[org]['Provider name'].split(', ')) == names
        assert seen[org]['Preserved clients before'] == '1 ok' == rows[org]['clients_before']
