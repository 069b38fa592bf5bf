# -*- coding: utf-8 -*-
"""playbooks/configure_sso.yml run the way AWX runs a job template: through ansible-runner.

* The "Genesys Cloud OAuth client" credential (extensions/awx/credential_type.yml, the real file) is
  injected as AWX injects it: its ``file`` and ``env`` injectors rendered over the credential's inputs
  (``awx_helpers.inject_credential``), the CA certificate written to a private file.
* Job template "SSO dry run" = job type check + diff mode (``--check --diff``); "SSO apply" = job type run.
* The outcome is read from the job events (per-host recap, task results) and from the ``set_stats``
  artifact ``saml_sso_summary`` (``runner.stats`` / the ``playbook_on_stats`` event's ``artifact_data``,
  what AWX shows as the job's artifacts), and from the emulator's state and request log.
* No event, stdout line or file under the artifact directory may hold the admin client's secret, the
  preserved client's secret or an access token, with one documented exception: ansible-runner always
  records the job's process environment in ``artifacts/<id>/command``, and the injected
  ``GENESYSCLOUD_OAUTHCLIENT_SECRET`` is part of that environment (AWX keeps that directory private to
  the job and stores only the masked ``safe_env``).
* Job slicing: the same inventory as 3 slice jobs (hosts split as AWX does) run in parallel processes
  ends in the same platform state with the same per-org results as one unsliced job.
"""

import glob
import json
import os
import threading
import time

import pytest

from awx_helpers import (TOKEN_RE, SecretScan, inject_credential, load_credential_type, run_job, slice_hosts,
                         sliced_inventory)
from helpers import PYTHON
from role_helpers import comparable_providers, org_seed, provider_vars

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.awx.example/entity', sso_url='https://idp.awx.example/sso')
SINGLE = 'awx-org'
FLEET = ['awx-slice-%02d' % i for i in range(1, 10)]
SEED = {'orgs': [org_seed(SINGLE, 701)] + [org_seed(name, 710 + i) for i, name in enumerate(FLEET)]}
PLAYBOOK = 'playbooks/configure_sso.yml'

pytestmark = pytest.mark.emulator_seed(SEED)


def credential_inputs(emulator, org):
    """What an AWX admin types into the credential form for ``org`` on the emulator (no region)."""
    with open(emulator.ca_path) as handle:
        ca_pem = handle.read()
    return {'client_id': org + '-admin', 'client_secret': org + '-admin-secret',
            'api_url': emulator.url, 'login_url': emulator.url, 'ca_cert': ca_pem}


def awx_inventory(orgs, per_org_admin=False):
    """The AWX inventory: group genesys_orgs, connection local, the interpreter set explicitly; each org
    carries its preserved client (and, for a fleet, its own admin client, overriding the credential's)."""
    hosts = {}
    for name in orgs:
        host = {'saml_sso_preserved_clients': [
            {'name': 'reporting-bot', 'client_id': name + '-bot', 'client_secret': name + '-bot-secret'}]}
        if per_org_admin:
            host.update(saml_sso_client_id=name + '-admin', saml_sso_client_secret=name + '-admin-secret')
        hosts[name] = host
    return {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': PYTHON},
                    'children': {'genesys_orgs': {'hosts': hosts}}}}


def job_extra_vars(tmp_path):
    """The job template's extra vars."""
    return {'saml_sso_provider': provider_vars(IDP), 'saml_sso_backup_dir': str(tmp_path / 'backups'),
            'saml_sso_settle_delay': 0.2}


def host_results(runner):
    """{host: (ok, changed, failures, unreachable)} from the recap."""
    stats = runner.stats or {}
    hosts = set()
    for key in ('ok', 'changed', 'failures', 'dark'):
        hosts |= set((stats.get(key) or {}).keys())
    return dict((h, tuple((stats.get(k) or {}).get(h, 0) for k in ('ok', 'changed', 'failures', 'dark')))
                for h in hosts)


def stats_artifact(events):
    found = [e for e in events if e.get('event') == 'playbook_on_stats']
    assert len(found) == 1
    return found[0]['event_data'].get('artifact_data') or {}


def task_events(events, task_suffix, host=None):
    return [e for e in events if e.get('event') in ('runner_on_ok', 'runner_on_failed', 'runner_on_skipped')
            and e['event_data'].get('task', '').endswith(task_suffix)
            and (host is None or e['event_data'].get('host') == host)]


def play_span(events):
    """(pid, first task start, stats time) of one job, from its events."""
    start = [e for e in events if e.get('event') == 'playbook_on_task_start'][0]
    stats = [e for e in events if e.get('event') == 'playbook_on_stats'][0]
    return start['pid'], start['created'], stats['created']


def api_writes(requests):
    """Requests of the log that change platform state (token requests are not writes)."""
    return [r for r in requests if r['method'] in ('POST', 'PUT', 'PATCH', 'DELETE') and r['path'].startswith('/api/v2/')]


def comparable_summary(summary):
    """A per-org summary without what legitimately differs between two runs (generated ids, backup paths)."""
    out = json.loads(json.dumps(summary))
    generated = [(out['provider'].pop('id', None), '<id>'), (out.pop('backup_file', None), '<backup>')]
    lines = []
    for line in out.get('lines') or []:  # the printed lines name the same generated values
        for value, placeholder in generated:
            if value:
                line = line.replace(value, placeholder)
        lines.append(line)
    out['lines'] = lines
    return out


def scan_job(scan, runner, events, stdout, label):
    """Scan one job's events, stdout and artifact directory; the `command` file is checked separately."""
    scan.events(events, where=label)
    scan.text(label + ' stdout', stdout)
    artifact_dir = runner.config.artifact_dir
    command_file = os.path.join(artifact_dir, 'command')
    with open(command_file) as handle:
        command = json.load(handle)
    scanned = 0
    for dirpath, _dirs, files in os.walk(artifact_dir):
        for name in files:
            path = os.path.join(dirpath, name)
            if path == command_file:
                continue
            with open(path, 'rb') as handle:
                scan.text('%s %s' % (label, os.path.relpath(path, artifact_dir)), handle.read().decode('utf-8', 'replace'))
            scanned += 1
    # the command file: only the injected variable itself may hold a secret
    env = dict(command['env'])
    env.pop('GENESYSCLOUD_OAUTHCLIENT_SECRET', None)
    scan.text(label + ' command (without GENESYSCLOUD_OAUTHCLIENT_SECRET)', json.dumps(dict(command, env=env)))
    return scanned


@pytest.fixture(scope='module')
def single_org_jobs(emulator, tmp_path_factory):
    """Dry run, apply, apply again on one org, credentials injected from the credential type."""
    emulator.reset()
    base = tmp_path_factory.mktemp('awxjob')
    definition = load_credential_type()
    inputs = credential_inputs(emulator, SINGLE)
    jobs = {}
    for name, job_type in (('dry_run', 'check'), ('apply', 'run'), ('reapply', 'run')):
        private = str(base / name)
        env, safe_env, _extra, files = inject_credential(definition, inputs, private)
        before = emulator.requests(org=SINGLE)
        runner = run_job(private, PLAYBOOK, awx_inventory([SINGLE]), env, job_extra_vars(base), job_type=job_type,
                         diff_mode=True)
        events = list(runner.events)
        stdout = runner.stdout.read()
        jobs[name] = {
            'runner': runner, 'events': events, 'stdout': stdout, 'env': env, 'safe_env': safe_env, 'files': files,
            'state': emulator.state(), 'requests': emulator.requests(org=SINGLE)[len(before):],
        }
    return jobs


def test_credential_injection_reaches_the_job(single_org_jobs, emulator):
    dry = single_org_jobs['dry_run']
    env = dry['env']
    assert env['GENESYSCLOUD_OAUTHCLIENT_ID'] == SINGLE + '-admin'
    assert env['GENESYSCLOUD_REGION'] == ''  # not given: the role falls back to the API URL
    assert env['GENESYSCLOUD_CA_PATH'] == dry['files']['template.ca_cert']
    # the admin token was minted with the injected client (the request log names the client)
    tokens = [r for r in dry['requests'] if r['path'] == '/oauth/token' and r['status'] == 200]
    assert SINGLE + '-admin' in set(r['client'] for r in tokens)
    assert SINGLE + '-bot' in set(r['client'] for r in tokens)


def test_dry_run_job_reads_only_and_reports_the_change(single_org_jobs):
    job = single_org_jobs['dry_run']
    runner = job['runner']
    assert (runner.status, runner.rc) == ('successful', 0), job['stdout'][-3000:]
    ok, changed, failures, dark = host_results(runner)[SINGLE]
    assert failures == 0 and dark == 0 and changed >= 1
    assert api_writes(job['requests']) == []
    org = [o for o in job['state']['orgs'] if o['name'] == SINGLE][0]
    assert not org.get('providers') and not org.get('custom')
    summary = stats_artifact(job['events'])['saml_sso_summary'][SINGLE]
    assert (summary['status'], summary['mode'], summary['changed'], summary['action']) == ('ok', 'check', True, 'created')
    # --diff: the provider task's event carries the diff
    configure = [e for e in job['events'] if e.get('event') == 'runner_on_ok' and e['event_data']['res'].get('diff')
                 and e['event_data'].get('host') == SINGLE]
    assert configure, 'no task event with a diff'


def test_apply_job_configures_the_org(single_org_jobs):
    job = single_org_jobs['apply']
    runner = job['runner']
    assert (runner.status, runner.rc) == ('successful', 0), job['stdout'][-3000:]
    ok, changed, failures, dark = host_results(runner)[SINGLE]
    assert failures == 0 and dark == 0 and changed >= 1
    org = [o for o in job['state']['orgs'] if o['name'] == SINGLE][0]
    generic = org['providers']['generic']
    assert generic['issuerURI'] == IDP.entity_id and generic['ssoTargetURI'] == IDP.sso_url
    assert generic['disabled'] is False
    summary = stats_artifact(job['events'])['saml_sso_summary'][SINGLE]
    assert (summary['status'], summary['mode'], summary['changed'], summary['action']) == ('ok', 'apply', True, 'created')
    assert summary['clients_after']['passed'] is True
    # the same job again changes nothing
    again = single_org_jobs['reapply']['runner']
    assert again.status == 'successful'
    assert host_results(again)[SINGLE][1:3] == (0, 0)
    assert stats_artifact(single_org_jobs['reapply']['events'])['saml_sso_summary'][SINGLE]['changed'] is False
    assert api_writes(single_org_jobs['reapply']['requests']) == []


def test_summary_is_a_set_stats_artifact(single_org_jobs):
    """What AWX stores as the job's artifacts: the playbook_on_stats event's artifact_data (custom stats);
    runner.stats is the recap of the same event."""
    for name in ('dry_run', 'apply'):
        job = single_org_jobs[name]
        artifact = stats_artifact(job['events'])
        assert set(artifact) == {'saml_sso_summary', 'saml_sso_plan'}
        assert set(artifact['saml_sso_summary']) == {SINGLE}
        # the plan line of the run (issue 16 item 1): Plan: ... for the dry run, Applied: ... for the real one
        assert artifact['saml_sso_plan'].startswith('Plan: ' if name == 'dry_run' else 'Applied: ')
        assert artifact['saml_sso_plan'].endswith(', 0 failed')
        stats_event = [e for e in job['events'] if e['event'] == 'playbook_on_stats'][0]['event_data']
        assert job['runner'].stats['ok'] == stats_event['ok'] and SINGLE in stats_event['ok']
        # the artifact is the summary the role recorded for the org (the step 7 fact)
        recorded = task_events(job['events'], 'Build the summary of this org (step 7)', SINGLE)
        assert len(recorded) == 1
        fact = recorded[0]['event_data']['res']['ansible_facts']['saml_sso_result']
        assert artifact['saml_sso_summary'][SINGLE] == fact
        # ansible-runner keeps the same stats on disk
        stats_uuid = [e for e in job['events'] if e['event'] == 'playbook_on_stats'][0]['uuid']
        files = glob.glob(os.path.join(job['runner'].config.artifact_dir, 'job_events', '*-%s.json' % stats_uuid))
        assert len(files) == 1
        with open(files[0]) as fh:
            on_disk = json.load(fh)
        assert on_disk['event_data']['artifact_data'] == artifact


def test_no_secret_or_token_in_events_stdout_or_artifacts(single_org_jobs, emulator):
    # positive control of the token pattern: a token the emulator really issues matches it
    probe = emulator.token(SINGLE + '-bot', SINGLE + '-bot-secret')
    assert TOKEN_RE.fullmatch(probe)
    secrets = {SINGLE + '-admin-secret': 'admin client secret', SINGLE + '-bot-secret': 'preserved client secret',
               SINGLE + '-alice-password': 'user password'}
    scan = SecretScan(secrets, tokens=[probe])
    scanned = 0
    for name, job in single_org_jobs.items():
        assert job['events'] and job['stdout']
        scanned += scan_job(scan, job['runner'], job['events'], job['stdout'], name)
        # the job's private environment did hold the secret: the scan above is not vacuous
        with open(os.path.join(job['runner'].config.artifact_dir, 'command')) as handle:
            command = json.load(handle)
        assert command['env']['GENESYSCLOUD_OAUTHCLIENT_SECRET'] == SINGLE + '-admin-secret'
        assert job['safe_env']['GENESYSCLOUD_OAUTHCLIENT_SECRET'] == '**********'
        # suppress_env_files (AWX's default): the runner wrote no env/ files with the job's variables
        assert not os.path.exists(os.path.join(os.path.dirname(os.path.dirname(job['runner'].config.artifact_dir)),
                                               'env', 'envvars'))
    assert scanned >= 9
    assert scan.findings == []
    # the scanner finds a secret where one is (control)
    control = SecretScan(secrets, tokens=[probe])
    control.text('control', 'x %s y %s' % (SINGLE + '-bot-secret', probe))
    assert len(control.findings) == 3  # the secret, the exact token, the token shape


def _sliced_run(emulator, base, inventory, env, extra, slices):
    """Run `slices` slice jobs of `inventory` at the same time (one ansible-playbook process each)."""
    import ansible_runner  # noqa: F401  (run_job imports it; fail early if missing)

    results = [None] * slices
    errors = []

    def one(index):
        try:
            private = str(base / ('slice-%d' % (index + 1)))
            inv = sliced_inventory(inventory, index + 1, slices)
            started = time.time()
            runner = run_job(private, PLAYBOOK, inv, env, extra, job_type='run', diff_mode=True)
            results[index] = (runner, list(runner.events), inv, started, time.time())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(slices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not errors, errors
    assert all(r is not None for r in results)
    return results


def test_three_slices_in_parallel_match_one_unsliced_job(emulator, tmp_path):
    definition = load_credential_type()
    inventory = awx_inventory(FLEET, per_org_admin=True)
    extra = job_extra_vars(tmp_path)

    # one unsliced job
    emulator.reset()
    env, _safe, _x, _f = inject_credential(definition, credential_inputs(emulator, FLEET[0]), str(tmp_path / 'whole'))
    whole = run_job(str(tmp_path / 'whole'), PLAYBOOK, inventory, env, extra, job_type='run', diff_mode=True)
    assert whole.status == 'successful', whole.stdout.read()[-3000:]
    whole_state = comparable_providers(emulator.state())
    whole_hosts = host_results(whole)
    whole_summary = dict((h, comparable_summary(s)) for h, s in stats_artifact(whole.events)['saml_sso_summary'].items())
    assert set(whole_summary) == set(FLEET)
    assert all(s['status'] == 'ok' and s['changed'] and s['action'] == 'created' for s in whole_summary.values())
    assert all(whole_state[org]['generic']['issuerURI'] == IDP.entity_id for org in FLEET)

    # the same job template with job_slice_count 3, after a reset to the same starting state
    emulator.reset()
    assert all(not comparable_providers(emulator.state())[org] for org in FLEET)
    env, _safe, _x, _f = inject_credential(definition, credential_inputs(emulator, FLEET[0]), str(tmp_path / 'sliced'))
    results = _sliced_run(emulator, tmp_path / 'sliced', inventory, env, extra, 3)

    # AWX's split: hosts ordered by name, slice k gets hosts[k-1::3]; each slice job saw only its hosts
    expected = [slice_hosts(FLEET, k, 3) for k in (1, 2, 3)]
    assert expected == [FLEET[0::3], FLEET[1::3], FLEET[2::3]]
    sliced_hosts, sliced_summary = {}, {}
    for (runner, events, inv, _start, _end), hosts in zip(results, expected):
        assert runner.status == 'successful', runner.stdout.read()[-3000:]
        assert sorted(inv['all']['children']['genesys_orgs']['hosts']) == hosts
        assert sorted(host_results(runner)) == hosts
        assert sorted(stats_artifact(events)['saml_sso_summary']) == hosts
        sliced_hosts.update(host_results(runner))
        sliced_summary.update((h, comparable_summary(s)) for h, s in stats_artifact(events)['saml_sso_summary'].items())
    # the slices really ran at the same time, in separate ansible-playbook processes: every slice's play
    # started before any slice's play ended (event timestamps written by each process)
    spans = [play_span(events) for _r, events, _i, _s, _e in results]
    assert len(set(pid for pid, _start, _end in spans)) == 3
    assert max(start for _p, start, _e in spans) < min(end for _p, _s, end in spans), spans

    assert comparable_providers(emulator.state()) == whole_state
    assert sliced_summary == whole_summary
    # per-org recap: same changed/failed/unreachable counts; `ok` counts differ by the run_once report
    # tasks, which run once per job (so once per slice, on the slice's first host)
    assert dict((h, r[1:]) for h, r in sliced_hosts.items()) == dict((h, r[1:]) for h, r in whole_hosts.items())
