#!/usr/bin/env python3
"""Benchmark of genesyscloud.sso (issue 9): requests per org, fleet wall time, per-task cost.

Run with the project venv (``make bench`` calls ``.venv/bin/python bench/run.py``):

    .venv/bin/python bench/run.py            # full benchmark (~15 min on 2 cores)
    .venv/bin/python bench/run.py --quick    # smoke test (<2 min): 10 orgs, 1 repetition

Parts (each against the local emulator, started here and stopped by PID):

1. requests per org from the emulator's request log: fresh org, converged org, check mode,
   beside the minimum the task needs (the table ``MINIMUM_REQUESTS`` below; docs/performance.md is
   written from it);
2. fleet: ``ansible-playbook playbooks/configure_sso.yml`` against N orgs with emulated latency,
   side by side with the two peers in ``bench/peers/`` (sequential ``requests`` script,
   ``ansible.builtin.uri`` playbook), fresh and converged, at several forks;
3. per task: wall and CPU time of one task of each module through its action plugin, through the
   plain module (``genesyscloud_sso_execution: module``) and of ``ansible.builtin.uri`` doing the
   same request(s): the slope between a playbook with 0 and with N identical tasks.

Outputs: a table on stdout, ``results.json``, ``docs/performance.md`` and
``docs/performance-fleet.png`` (full mode; ``--quick`` writes into ``bench/out/quick/`` unless
``--output-dir`` says otherwise).  Exit status 1 when any run of the collection or of a peer
failed or did not do what it should (e.g. a converged run that writes).
"""

import argparse
import collections
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402  (bench/ is not a package)
import report  # noqa: E402

SEQ_PEER = os.path.join(harness.PEERS_DIR, 'sequential_requests.py')
THREAD_PEER = os.path.join(harness.PEERS_DIR, 'threaded_requests.py')
URI_PEER = os.path.join(harness.PEERS_DIR, 'uri_playbook.yml')

# collection first; then the peers: (a) the role's requests org after org, (a-t) the tutorial's flow org after
# org, (c) the role's requests on a pool of threads (as many as the forks), (b) the uri playbook
TOOLS = ('collection', 'sequential', 'tutorial', 'threaded', 'uri')
PEERS = TOOLS[1:]
# tools that do not fork: their runs have no forks (the thread peer takes the forks as its thread count)
UNFORKED = ('sequential', 'tutorial')
TOOL_LABELS = {
    'collection': 'genesyscloud.sso (configure_sso.yml)',
    'sequential': "peer (a): sequential requests script, the role's requests",
    'tutorial': "peer (a-t): sequential requests script, the tutorial's flow",
    'threaded': "peer (c): the role's requests on a pool of threads",
    'uri': 'peer (b): ansible.builtin.uri playbook',
}

# The minimum requests per org, ONE table (the sums MINIMUM, the per-endpoint minimum, the bare flow and the section
# "Minimum per org, and why" of docs/performance.md all derive from it): for one managed provider (okta), one
# preserved client with the default probe, per scenario every request the run cannot do without, the promise it
# keeps and where that promise is asked. ``safety_read``: a read added to the bare flow (the requests of issues 6
# and 9) by a later safety issue; the report names each, its issue, and why it cannot be dropped.
MinimumRequest = collections.namedtuple('MinimumRequest', 'endpoint count promise asked safety_read')

_BEFORE = (  # the reads of every run: a converged org makes exactly these (issue 9 item 1)
    MinimumRequest('POST /oauth/token', 1, "the preserved client's token: step 1 proves its client-credentials grant "
                   'works before any change', 'issue 6 step 1, issue 9 item 1', False),
    MinimumRequest('GET /api/v2/tokens/me', 1, "the preserved client's token info (its expectations: org, roles, "
                   'scopes)', 'issue 4, issue 9 item 1', False),
    MinimumRequest('GET /api/v2/organizations/me', 1, "the preserved client's probe (the default probe call)",
                   'issue 4, issue 9 item 1', False),
    MinimumRequest('POST /oauth/token', 1, 'the admin token, fetched once (step 2)', 'issue 6 step 2, issue 9 item 1',
                   False),
    MinimumRequest('GET /api/v2/identityproviders', 1, "the overview of the org's providers (step 3; the same listing "
                   'serves the lockout guard)', 'issue 6 step 3, issue 9 item 1', False),
    MinimumRequest('GET /api/v2/identityproviders/okta', 1, 'the read of the managed provider (what to change)',
                   'issue 9 item 1', False),
)
_CHANGE = (  # what a change adds to the reads (fresh org)
    MinimumRequest('PUT /api/v2/identityproviders/okta', 1, 'the write of the provider from the intent (step 4)', 'issue 6 step 4', False),
    MinimumRequest('GET /api/v2/identityproviders/okta', 1, 'the read-back, made `settle_delay` after the write: it '
                   'verifies activation (the per-type PUT answers only {id,name,disabled,selfUri}) and is the fresh '
                   'read compared with the intent that reports a concurrent change (one read serves both)',
                   'issue 6 step 5, issue 13 item 3', False),
    MinimumRequest('POST /oauth/token', 1, "the preserved client's NEW token after the change: what must be proven is "
                   'that its grant still works with SSO on, which an old token cannot show (step 6)', 'issue 6 step 6',
                   False),
    MinimumRequest('GET /api/v2/tokens/me', 1, "the preserved client's token info again (step 6)", 'issue 6 step 6',
                   False),
    MinimumRequest('GET /api/v2/organizations/me', 1, "the preserved client's probe again (step 6)", 'issue 6 step 6',
                   False),
)
_ADMIN_ORG = MinimumRequest(
    'GET /api/v2/organizations/me', 1, "the admin side's org, read before the write: the per-org lock key, the "
    "backup's and the journal's organization (and the backup file name). The preserved clients' answer cannot stand "
    "in for it: a mistyped inventory can pair this org's admin with another org's client, and that org in the backup "
    'would let a later `restore_from` with the other org\'s credentials pass the same-org check. Not made when the org '
    'is given (`saml_sso_org_name`) or the admin client is itself one of the preserved clients',
    'issue 13 items 3 and 5', True)
MINIMUM_REQUESTS = {
    'converged': _BEFORE,
    'fresh': _BEFORE + _CHANGE + (_ADMIN_ORG,),
    # the org given (saml_sso_org_name): the admin side need not read it
    'fresh-org-name': _BEFORE + _CHANGE,
    # --check on a fresh org (a change planned): the reads of a converged run, nothing written, no verification and
    # no second validation (nothing was changed), plus the permission prediction
    'check': _BEFORE + (
        MinimumRequest('GET /api/v2/tokens/me', 1, "the admin's token info: check mode predicts a 403 of the planned "
                       "write from the admin client's roles. Without it `--check` passes and the apply gets 403",
                       'issue 16 item 7', True),
        MinimumRequest('GET /api/v2/authorization/roles/{id}', 0, "one per role of the admin token (its permission "
                       "policies, for the same prediction); the benchmark's seed admin has no roles, so 0 here",
                       'issue 16 item 7', True),
    ),
}
SCENARIOS = tuple(MINIMUM_REQUESTS)


def minimum_endpoints(scenario, bare=False):
    """{endpoint: count} of a scenario's minimum (``bare``: the bare flow, without the safety reads)."""
    out = {}
    for need in MINIMUM_REQUESTS[scenario]:
        if need.count and not (bare and need.safety_read):
            out[need.endpoint] = out.get(need.endpoint, 0) + need.count
    return out


MINIMUM_ENDPOINTS = dict((sc, minimum_endpoints(sc)) for sc in SCENARIOS)
MINIMUM = dict((sc, sum(MINIMUM_ENDPOINTS[sc].values())) for sc in SCENARIOS)
# the bare flow (issues 6 and 9) without the safety reads: the figure the minimum was before them
BARE_MINIMUM = dict((sc, sum(minimum_endpoints(sc, bare=True).values())) for sc in SCENARIOS)


def minimum_table():
    """The table as plain data (results.json; the report is written from it)."""
    return dict((sc, [need._asdict() for need in needs]) for sc, needs in MINIMUM_REQUESTS.items())


def extra_requests(scenario, per_endpoint):
    """[(endpoint, +n or -n, reason)] of a run against the minimum per endpoint of its scenario: every request
    beyond the minimum is 'not explained' (the minimum holds every request with a reason)."""
    base = MINIMUM_ENDPOINTS[scenario]
    out = []
    for endpoint in sorted(set(base) | set(per_endpoint)):
        diff = per_endpoint.get(endpoint, 0) - base.get(endpoint, 0)
        if diff:
            out.append((endpoint, diff, 'not explained' if diff > 0 else 'fewer than the minimum'))
    return out


# What each peer must request per org (checked through the request log: a peer that drifts fails the run).
# (a), (b) and (c) make the role's requests: the minimum, including the admin-side org read of a fresh org (the
# bench's inventories give no saml_sso_org_name); (a-t) makes the tutorial's flow: the bare flow without the
# overview listing and without any safety read. Check mode has no peer.
PEER_REQUESTS = {
    'sequential': dict(converged=MINIMUM['converged'], fresh=MINIMUM['fresh']),
    'threaded': dict(converged=MINIMUM['converged'], fresh=MINIMUM['fresh']),
    'uri': dict(converged=MINIMUM['converged'], fresh=MINIMUM['fresh']),
    'tutorial': dict(converged=5, fresh=10),
}

# Where the per-task benchmark points each module (org numbers of the small seed).
REQ_ORGS = {'collection': 1, 'sequential': 2, 'uri': 3, 'check': 4, 'tutorial': 9, 'threaded': 10, 'org-name': 11}
SMALL_SEED_ORGS = 11
PER_TASK_ORGS = {'prepare': 5, 'controller': 6, 'module': 7, 'uri': 8}


class Failures(list):
    def add(self, what, detail):
        self.append(dict(what=what, detail=detail))
        print('FAILED: %s: %s' % (what, detail), file=sys.stderr)


# ------------------------------------------------------------------------------- running tools

def run_tool(tool, inventory, forks, log_path, extra_args=(), timeout=900):
    env = harness.ansible_env()
    if tool == 'collection':
        playbook = os.path.join(harness.CODE['collection_root'], 'playbooks', 'configure_sso.yml')
        cmd = [harness.ANSIBLE_PLAYBOOK, '-i', inventory, '-f', str(forks), playbook] + list(extra_args)
    elif tool == 'uri':
        cmd = [harness.ANSIBLE_PLAYBOOK, '-i', inventory, '-f', str(forks), URI_PEER] + list(extra_args)
    elif tool == 'sequential':
        cmd = [harness.PYTHON, SEQ_PEER, '-i', inventory, '--flow', 'role']
    elif tool == 'tutorial':
        cmd = [harness.PYTHON, SEQ_PEER, '-i', inventory, '--flow', 'tutorial']
    elif tool == 'threaded':
        cmd = [harness.PYTHON, THREAD_PEER, '-i', inventory, '--flow', 'role', '--threads', str(forks)]
    else:
        raise ValueError(tool)
    res = harness.run_timed(cmd, log_path, env=env, timeout=timeout)
    if tool in ('collection', 'uri'):
        res['recap'] = harness.parse_recap(log_path)
    return res


def write_subset_inventory(path, orgs, endpoint, cert, workdir, extra_vars=None):
    harness.write_inventory(path, max(orgs), endpoint, cert, orgs=orgs,
                            extra_vars=dict(backup_vars(workdir), **(extra_vars or {})))


def backup_vars(workdir):
    """Role backups go to the run's scratch directory, not to ~/.genesyscloud_sso."""
    return dict(saml_sso_backup_dir=os.path.join(workdir, 'backups'))


# ----------------------------------------------------------------------- part 1: requests per org

def bench_requests(emu, outdir, cert, failures):
    """Fresh, converged and check-mode runs of the collection (and the peers) on single orgs."""
    endpoint = emu.endpoint
    results = {}

    def one(tool, org_no, label, extra=(), extra_vars=None):
        inv = os.path.join(outdir, 'inv-req-%s-%s.yml' % (tool, label))
        write_subset_inventory(inv, [org_no], endpoint, cert, outdir, extra_vars)
        emu.clear_requests()
        res = run_tool(tool, inv, 1, os.path.join(outdir, 'req-%s-%s.log' % (tool, label)), extra)
        entries = emu.requests(org=harness.org_name(org_no))
        summary = harness.summarise_log(entries)
        summary.update(rc=res['rc'], wall=round(res['wall'], 3))
        if res.get('recap'):
            summary['recap'] = res['recap']
        if res['rc'] != 0:
            failures.add('requests/%s/%s' % (tool, label), 'rc=%s, see %s:\n%s' % (
                res['rc'], res['log'], harness.tail(res['log'], 15)))
        return summary

    for tool in TOOLS:
        org_no = REQ_ORGS[tool]
        fresh = one(tool, org_no, 'fresh')
        converged = one(tool, org_no, 'converged')
        results[tool] = dict(fresh=fresh, converged=converged)
        if fresh['rc'] == 0 and fresh['writes'] < 1:
            failures.add('requests/%s/fresh' % tool, 'no write on a fresh org')
        if converged['rc'] == 0 and converged['writes'] != 0:
            failures.add('requests/%s/converged' % tool, '%d writes on a converged org' % converged['writes'])
        for scenario, data in ((('fresh', fresh), ('converged', converged)) if tool in PEER_REQUESTS else ()):
            if data['rc'] == 0 and data['total'] != PEER_REQUESTS[tool][scenario]:
                failures.add('requests/%s/%s' % (tool, scenario), '%d requests, the peer must make %d' % (
                    data['total'], PEER_REQUESTS[tool][scenario]))
    check = one('collection', REQ_ORGS['check'], 'check', ['--check', '--diff'])
    results['collection']['check'] = check
    if check['rc'] == 0 and check['writes'] != 0:
        failures.add('requests/collection/check', '%d writes in check mode' % check['writes'])
    # the org given (saml_sso_org_name = the org's short name): the admin side need not read it
    named = one('collection', REQ_ORGS['org-name'], 'fresh-org-name',
                extra_vars=dict(saml_sso_org_name=harness.org_name(REQ_ORGS['org-name'])))
    results['collection']['fresh-org-name'] = named
    if named['rc'] == 0 and named['writes'] != 1:
        failures.add('requests/collection/fresh-org-name', '%d writes on a fresh org' % named['writes'])
    for tool in TOOLS:
        for scenario, data in results[tool].items():
            data['minimum'] = MINIMUM[scenario]
            data['ratio'] = round(data['total'] / float(data['minimum']), 2)
            if tool == 'collection':
                data['extra'] = [dict(endpoint=e, count=n, reason=why)
                                 for e, n, why in extra_requests(scenario, data['per_endpoint'])]
    return results


# ------------------------------------------------------------------------------ part 2: fleet

# Seconds per org (priors; replaced by what each run measures) and fixed start-up cost per run.
RATE_PRIORS = {
    ('collection', 'fresh'): 0.45, ('collection', 'converged'): 0.35,
    ('sequential', 'fresh'): 0.65, ('sequential', 'converged'): 0.4,
    ('tutorial', 'fresh'): 0.6, ('tutorial', 'converged'): 0.35,
    ('threaded', 'fresh'): 0.08, ('threaded', 'converged'): 0.05,
    ('uri', 'fresh'): 4.7, ('uri', 'converged'): 3.0,
}
STARTUP = {'collection': 2.0, 'sequential': 0.5, 'tutorial': 0.5, 'threaded': 0.5, 'uri': 1.5}


def fleet_plan(sizes, reps_small, reps_big, big_size, forks_sweep, forks_big, tools=TOOLS, uri_max_size=None):
    """Stages in priority order (what runs first survives a tight budget):
    1. one repetition of every size (in the order given) at forks_sweep, every tool, and right
       after the largest size its other forks (the sequential peers have no forks);
    2. the remaining repetitions.
    The uri peer (3-5 s per org on 2 cores) runs only up to uri_max_size orgs (None: every size)."""
    def tools_at(size, forked_only=False):
        return tuple(t for t in tools if not (t == 'uri' and uri_max_size is not None and size > uri_max_size)
                     and not (forked_only and t in UNFORKED))

    def at(size, rep):
        out = [dict(size=size, rep=rep, forks=forks_sweep, tools=tools_at(size))]
        if size == big_size:
            out.extend(dict(size=size, rep=rep, forks=f, tools=tools_at(size, forked_only=True))
                       for f in forks_big if f != forks_sweep)
        return out
    stages = []
    for size in sizes:
        stages.extend(at(size, 1))
    for rep in range(2, max(reps_small, reps_big) + 1):
        for size in sizes:
            if rep <= (reps_big if size == big_size else reps_small):
                stages.extend(at(size, rep))
    return stages


def bench_fleet(emu, outdir, cert, stages, failures, deadline, runs, skipped):
    """Each stage: every tool (order rotated by repetition) runs fresh (after a reset), then converged.
    ``runs`` and ``skipped`` are filled as it goes, so an interruption keeps what was measured."""
    endpoint = emu.endpoint
    rates = dict(RATE_PRIORS)
    for stage in stages:
        size, rep, forks = stage['size'], stage['rep'], stage['forks']
        inv = os.path.join(outdir, 'inv-fleet-%d.yml' % size)
        if not os.path.exists(inv):
            harness.write_inventory(inv, size, endpoint, cert, extra_vars=backup_vars(outdir))
        tools = list(stage['tools'])
        # rotate right: repetition 2 starts with the last tool of repetition 1 and the collection comes second
        # (when the time budget cuts a repetition short, it cuts the slow sequential peers, not the collection)
        shift = -(rep - 1) % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            predicted = sum(STARTUP[tool] + rates[(tool, sc)] * size for sc in ('fresh', 'converged'))
            if time.monotonic() + predicted > deadline:
                skipped.append(dict(tool=tool, size=size, forks=forks if tool not in UNFORKED else None,
                                    rep=rep, predicted_s=round(predicted)))
                print('  %-10s %4d orgs forks=%-3s rep %d: skipped (predicted %.0f s, over the time budget)' % (
                    tool, size, forks if tool not in UNFORKED else '-', rep, predicted))
                continue
            for scenario in ('fresh', 'converged'):
                if scenario == 'fresh':
                    emu.reset()
                else:
                    emu.clear_requests()
                t_forks = forks if tool not in UNFORKED else None
                label = '%s-%d-f%s-%s-r%d' % (tool, size, t_forks or 0, scenario, rep)
                load_before = harness.loadavg()
                emu_cpu0 = emu.cpu_seconds()
                res = run_tool(tool, inv, forks, os.path.join(outdir, 'fleet-%s.log' % label))
                emu_cpu1 = emu.cpu_seconds()
                log = harness.summarise_log(emu.requests())
                run = dict(tool=tool, size=size, forks=t_forks, scenario=scenario, rep=rep,
                           rc=res['rc'], wall=round(res['wall'], 3), cpu=round(res['cpu'], 3),
                           emulator_cpu=round(emu_cpu1 - emu_cpu0, 3) if emu_cpu0 is not None else None,
                           requests=log['total'], writes=log['writes'], tokens=log['tokens'],
                           http_errors=log['errors'], loadavg_before=load_before, loadavg_after=harness.loadavg(),
                           cpu_per_org=round(res['cpu'] / size, 4), requests_per_org=round(log['total'] / float(size), 2))
                if res.get('recap'):
                    run['recap'] = res['recap']
                    run['host_tasks_per_org'] = res['recap'].get('tasks_per_host')
                ok = res['rc'] == 0
                expected_writes = size if scenario == 'fresh' else 0
                expected_requests = PEER_REQUESTS.get(tool, {}).get(scenario)
                if not ok:
                    failures.add('fleet/%s' % label, 'rc=%s, see %s:\n%s' % (
                        res['rc'], res['log'], harness.tail(res['log'], 15)))
                elif log['writes'] != expected_writes:
                    failures.add('fleet/%s' % label, '%d writes, expected %d' % (log['writes'], expected_writes))
                    ok = False
                elif expected_requests is not None and log['total'] != expected_requests * size:
                    failures.add('fleet/%s' % label, '%d requests, the peer must make %d' % (
                        log['total'], expected_requests * size))
                    ok = False
                else:
                    rates[(tool, scenario)] = max(0.01, (res['wall'] - STARTUP[tool]) / size)
                run['ok'] = ok
                runs.append(run)
                print('  %-10s %4d orgs forks=%-3s %-9s rep %d: %7.2f s wall %7.2f s cpu  %5d requests%s  load %.1f%s' % (
                    tool, size, t_forks or '-', scenario, rep, res['wall'], res['cpu'], log['total'],
                    '' if run.get('host_tasks_per_org') is None else '  %.1f host-tasks/org' % run['host_tasks_per_org'],
                    load_before[0], '' if ok else '  FAILED'))
                sys.stdout.flush()


def summarise_fleet(runs):
    """Medians per (tool, size, forks, scenario) and side-by-side speed-ups."""
    groups = {}
    for r in runs:
        if r['ok']:
            groups.setdefault((r['tool'], r['size'], r['forks'], r['scenario']), []).append(r)
    medians = []
    for key, rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][3], TOOLS.index(kv[0][0]), kv[0][2] or 0)):
        walls = [r['wall'] for r in rs]
        cpu = statistics.median(r['cpu'] for r in rs)
        tasks = [r['host_tasks_per_org'] for r in rs if r.get('host_tasks_per_org') is not None]
        medians.append(dict(tool=key[0], size=key[1], forks=key[2], scenario=key[3], n=len(rs),
                            wall_median=round(statistics.median(walls), 3),
                            wall_min=round(min(walls), 3), wall_max=round(max(walls), 3),
                            cpu_median=round(cpu, 3), cpu_per_org=round(cpu / key[1], 4),
                            requests_median=statistics.median(r['requests'] for r in rs),
                            requests_per_org=round(statistics.median(r['requests'] for r in rs) / float(key[1]), 2),
                            host_tasks_per_org=statistics.median(tasks) if tasks else None,
                            loadavg_before=[r['loadavg_before'][0] for r in rs],
                            seconds_per_org=round(statistics.median(walls) / key[1], 4)))
    index = dict(((m['tool'], m['size'], m['forks'], m['scenario']), m) for m in medians)
    ratios = []
    for (tool, size, forks, scenario), coll in sorted(index.items(), key=lambda kv: (kv[0][1], kv[0][2] or 0, kv[0][3])):
        if tool != 'collection':
            continue
        peers = dict((p, index.get((p, size, None if p in UNFORKED else forks, scenario))) for p in PEERS)
        row = dict(size=size, forks=forks, scenario=scenario, collection=coll['wall_median'],
                   n='/'.join(str(x['n']) if x else '-' for x in [coll] + [peers[p] for p in PEERS]))
        for p in PEERS:
            row[p] = peers[p]['wall_median'] if peers[p] else None
            # > 1: the collection is faster than the peer; < 1: slower (peer wall / collection wall)
            row['speedup_vs_' + p] = round(peers[p]['wall_median'] / coll['wall_median'], 2) if peers[p] else None
        ratios.append(row)
    return medians, ratios


# --------------------------------------------------------------------------- part 3: per task

MODULES = ('genesys_token', 'genesys_oauth_check', 'genesys_identity_provider',
           'genesys_identity_provider_info')
# the cheapest task Ansible can run for a host (controller-side, no request): the floor of any task
FLOOR = 'ansible.builtin.debug'


def _conn(endpoint):
    return dict(api_url=endpoint['url'], login_url=endpoint['url'], ca_path=endpoint['ca_path'])


def per_task_tasks(module, variant, endpoint, org_no, cert):
    """(tasks, uri requests per unit) doing one unit of `module`'s work through `variant`."""
    c = harness.org_credentials(org_no)
    conn = _conn(endpoint)
    bearer = {'Authorization': 'Bearer {{ bench_setup_token.access_token }}'}
    ca = endpoint['ca_path']
    url = endpoint['url']
    if module == FLOOR:
        return [{'name': 'Bench floor', FLOOR: {'msg': 'no request'}}]
    if variant in ('controller', 'module'):
        fq = 'genesyscloud.sso.' + module
        if module == 'genesys_token':
            args = dict(conn, client_id=c['admin_id'], client_secret=c['admin_secret'])
        elif module == 'genesys_oauth_check':
            args = dict(conn, clients=[dict(client_id=c['bot_id'], client_secret=c['bot_secret'])])
        elif module == 'genesys_identity_provider':
            args = dict(conn, access_token='{{ bench_setup_token.access_token }}')
            args.update(harness.desired_provider(org_no, cert))
        else:
            args = dict(conn, access_token='{{ bench_setup_token.access_token }}')
        return [{'name': 'Bench %s' % module, fq: args, 'no_log': True}]
    # ansible.builtin.uri doing the same request(s)
    token_task = {'name': 'Bench uri token', 'ansible.builtin.uri': dict(
        url=url + '/oauth/token', method='POST', url_username=None, url_password=None,
        force_basic_auth=True, body_format='form-urlencoded', body=dict(grant_type='client_credentials'),
        ca_path=ca), 'no_log': True}
    if module == 'genesys_token':
        token_task['ansible.builtin.uri'].update(url_username=c['admin_id'], url_password=c['admin_secret'])
        return [token_task]
    if module == 'genesys_oauth_check':
        token_task['ansible.builtin.uri'].update(url_username=c['bot_id'], url_password=c['bot_secret'])
        token_task['register'] = 'bench_bot_token'
        bot = {'Authorization': 'Bearer {{ bench_bot_token.json.access_token }}'}
        return [token_task,
                {'name': 'Bench uri tokens/me', 'no_log': True, 'ansible.builtin.uri': dict(
                    url=url + '/api/v2/tokens/me', headers=bot, ca_path=ca)},
                {'name': 'Bench uri probe', 'no_log': True, 'ansible.builtin.uri': dict(
                    url=url + '/api/v2/organizations/me', headers=bot, ca_path=ca)}]
    if module == 'genesys_identity_provider':
        path = '/api/v2/identityproviders/' + harness.PROVIDER_TYPE
    else:
        path = '/api/v2/identityproviders'
    return [{'name': 'Bench uri GET', 'no_log': True, 'ansible.builtin.uri': dict(
        url=url + path, headers=bearer, ca_path=ca)}]


def write_per_task_playbook(path, module, variant, count, endpoint, org_no, cert):
    c = harness.org_credentials(org_no)
    setup = {'name': 'Bench setup token', 'genesyscloud.sso.genesys_token': dict(
        _conn(endpoint), client_id=c['admin_id'], client_secret=c['admin_secret']),
        'register': 'bench_setup_token', 'no_log': True,
        'vars': {'genesyscloud_sso_execution': 'controller'}}
    tasks = [setup]
    if module is not None:
        unit = per_task_tasks(module, variant, endpoint, org_no, cert)
        for _ in range(count):
            tasks.extend(unit)
    play = {'name': 'Per-task benchmark', 'hosts': 'all', 'gather_facts': False,
            'vars': {'genesyscloud_sso_execution': 'module' if variant == 'module' else 'controller'},
            'tasks': tasks}
    with open(path, 'w') as f:
        yaml.safe_dump([play], f, default_flow_style=False, sort_keys=False)


def bench_per_task(emu, outdir, cert, counts, reps, failures, deadline=None):
    """Per-task wall/CPU: (T(N tasks) - T(0 tasks)) / N, medians over reps (at least one repetition;
    no new one starts after deadline)."""
    endpoint = emu.endpoint
    inv = os.path.join(outdir, 'inv-per-task.yml')
    with open(inv, 'w') as f:
        yaml.safe_dump({'all': {'hosts': {'bench-host': {
            'ansible_connection': 'local', 'ansible_python_interpreter': harness.PYTHON}}}}, f)
    # converge the provider of every per-task org once (the provider task then only reads)
    for org_no in PER_TASK_ORGS.values():
        pb = os.path.join(outdir, 'per-task-prepare-%d.yml' % org_no)
        write_per_task_playbook(pb, 'genesys_identity_provider', 'controller', 1, endpoint, org_no, cert)
        res = harness.run_timed([harness.ANSIBLE_PLAYBOOK, '-i', inv, pb],
                                os.path.join(outdir, 'per-task-prepare-%d.log' % org_no),
                                env=harness.ansible_env(), timeout=300)
        if res['rc'] != 0:
            failures.add('per-task/prepare', 'rc=%s:\n%s' % (res['rc'], harness.tail(res['log'], 15)))
            return None
    samples = {}

    def run(module, variant, count, rep):
        org_no = PER_TASK_ORGS[variant]
        name = '%s-%s-%d-r%d' % (module or 'baseline', variant, count, rep)
        pb = os.path.join(outdir, 'per-task-%s.yml' % name)
        write_per_task_playbook(pb, module, variant, count, endpoint, org_no, cert)
        emu.clear_requests()
        res = harness.run_timed([harness.ANSIBLE_PLAYBOOK, '-i', inv, pb],
                                os.path.join(outdir, 'per-task-%s.log' % name),
                                env=harness.ansible_env(), timeout=600)
        res['requests'] = len(emu.requests(org=harness.org_name(org_no)))
        if res['rc'] != 0:
            failures.add('per-task/%s' % name, 'rc=%s:\n%s' % (res['rc'], harness.tail(res['log'], 15)))
        return res

    variants = ('controller', 'module', 'uri')
    for rep in range(reps):
        if rep and deadline is not None and time.monotonic() > deadline:
            print('  per-task: time share used up after %d repetition(s)' % rep)
            break
        for variant in variants:
            base = run(None, variant, 0, rep + 1)
            for module in MODULES + ((FLOOR,) if variant == 'controller' else ()):
                count = counts[variant]
                full = run(module, variant, count, rep + 1)
                if base['rc'] or full['rc']:
                    continue
                samples.setdefault((module, variant), []).append(dict(
                    wall=(full['wall'] - base['wall']) / count,
                    cpu=(full['cpu'] - base['cpu']) / count,
                    requests=(full['requests'] - base['requests']) / float(count),
                    count=count))
    rows = []
    for module in MODULES + (FLOOR,):
        row = dict(module=module, paths={})
        for variant in variants:
            s = samples.get((module, variant))
            if not s:
                row['paths'][variant] = None
                continue
            row['paths'][variant] = dict(wall=round(statistics.median(x['wall'] for x in s), 4),
                                         cpu=round(statistics.median(x['cpu'] for x in s), 4),
                                         requests=round(statistics.median(x['requests'] for x in s), 2),
                                         tasks=s[0]['count'], n=len(s))
        ctl, mod = row['paths'].get('controller'), row['paths'].get('module')
        if ctl and mod and mod['wall'] > 0 and mod['cpu'] > 0:
            row['action_over_module_wall'] = round(ctl['wall'] / mod['wall'], 3)
            row['action_over_module_cpu'] = round(ctl['cpu'] / mod['cpu'], 3)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description='genesyscloud.sso benchmark (issue 9)')
    p.add_argument('--quick', action='store_true',
                   help='smoke mode: 10 orgs, 1 repetition, forks 10, few per-task samples (<2 min)')
    p.add_argument('--sizes', default=None,
                   help='comma-separated org counts, in priority order (default 20,200,50,100)')
    p.add_argument('--reps', type=int, default=None, help='repetitions for the sizes below the largest (default 3)')
    p.add_argument('--reps-big', type=int, default=None, help='repetitions at the largest size (default 1)')
    p.add_argument('--forks', default=None, help='forks at the largest size, comma-separated (default 10)')
    p.add_argument('--forks-sweep', type=int, default=None, help='forks for the size sweep (default 10)')
    p.add_argument('--tools', default=None,
                   help='comma-separated tools of the fleet part (default all: %s)' % ','.join(TOOLS))
    p.add_argument('--uri-max-size', type=int, default=None,
                   help='largest fleet size the uri peer (b) runs at (default 20; 0: every size)')
    p.add_argument('--latency-ms', type=int, default=50, help='emulated latency per request in the fleet part')
    p.add_argument('--per-task-count', type=int, default=None,
                   help='identical tasks per per-task playbook (action path gets 3x as many)')
    p.add_argument('--per-task-reps', type=int, default=None)
    p.add_argument('--skip', default='', help='comma-separated parts to skip: requests,fleet,per-task')
    p.add_argument('--budget-min', type=float, default=None,
                   help='start no fleet run predicted to end later than this many minutes after the start '
                        '(default 15; --quick: no budget)')
    p.add_argument('--output-dir', default=None,
                   help='where results.json, performance.md and the PNG go '
                        '(default: bench/ and docs/ in full mode, bench/out/quick/ with --quick)')
    p.add_argument('--code', choices=('head', 'worktree', 'live'), default='head',
                   help='code under test: a copy of the last commit (default), a copy of the working tree '
                        'taken at the start, or the live working tree')
    p.add_argument('--render', metavar='RESULTS_JSON',
                   help='only re-write performance.md and the plot from an existing results.json')
    p.add_argument('--keep-logs', action='store_true', help='keep bench/out/run-* (logs, inventories)')
    args = p.parse_args(argv)
    q = args.quick
    # the order is the priority under a tight time budget (the plot sorts them)
    args.sizes = [int(x) for x in (args.sizes or ('10' if q else '20,200,50,100')).split(',')]
    args.reps = args.reps if args.reps is not None else (1 if q else 3)
    args.reps_big = args.reps_big if args.reps_big is not None else 1
    args.forks = [int(x) for x in (args.forks or '10').split(',')]
    args.forks_sweep = args.forks_sweep or (args.forks[-1] if q else 10)
    args.tools = tuple(x for x in (args.tools or ','.join(TOOLS)).split(',') if x)
    unknown = set(args.tools) - set(TOOLS)
    if unknown or 'collection' not in args.tools:
        p.error('--tools: known tools are %s, collection among them (got %s)' % (','.join(TOOLS), ','.join(args.tools)))
    args.uri_max_size = None if args.uri_max_size == 0 else (args.uri_max_size or 20)
    args.per_task_count = args.per_task_count or (1 if q else 8)
    args.per_task_reps = args.per_task_reps or (1 if q else 3)
    # quick is a smoke test: it runs everything it plans (no budget) so that every tool is exercised
    args.budget_min = args.budget_min if args.budget_min is not None else (1e6 if q else 25.0)
    args.skip = set(x for x in args.skip.split(',') if x)
    return args


def render(args):
    """Re-write performance.md and the plot from a results.json (same layout as a run writes)."""
    with open(args.render) as f:
        results = json.load(f)
    out_dir = args.output_dir
    out_md = os.path.join(out_dir, 'performance.md') if out_dir else os.path.join(harness.REPO, 'docs', 'performance.md')
    out_png = os.path.join(out_dir, 'performance-fleet.png') if out_dir else os.path.join(
        harness.REPO, 'docs', 'performance-fleet.png')
    os.makedirs(os.path.dirname(out_md), exist_ok=True)
    has_plot = bool((results.get('fleet') or {}).get('medians'))
    if has_plot:
        report.plot_fleet(results, out_png)
    report.write_markdown(results, out_md, os.path.basename(out_png) if has_plot else None)
    print('wrote %s%s' % (out_md, ', ' + out_png if has_plot else ''))
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.render:
        return render(args)
    t_start = time.monotonic()
    harness.ensure_collections_link()
    out_root = os.path.join(harness.BENCH_DIR, 'out')
    os.makedirs(out_root, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='run-', dir=out_root)
    failures = Failures()
    info = harness.machine_info()
    if args.code == 'live':
        info['code'] = dict(harness.code_version(), snapshot=False, source='live')
    else:
        info['code'] = dict(harness.snapshot(os.path.join(workdir, 'code'), args.code), snapshot=True)
    cert = harness.make_certificate_b64()
    big_size = max(args.sizes)
    results = dict(
        issue=9, mode='quick' if args.quick else 'full', machine=info,
        command=' '.join(['bench/run.py'] + list(argv if argv is not None else sys.argv[1:])),
        settings=dict(sizes=args.sizes, reps_small=args.reps, reps_big=args.reps_big,
                      forks_big=args.forks, forks_sweep=args.forks_sweep, latency_ms=args.latency_ms,
                      tools=list(args.tools), uri_max_size=args.uri_max_size,
                      per_task_count=args.per_task_count, per_task_reps=args.per_task_reps,
                      provider_type=harness.PROVIDER_TYPE, preserved_clients_per_org=1),
        minimum=MINIMUM, minimum_bare=BARE_MINIMUM, minimum_requests=minimum_table(), peer_requests=PEER_REQUESTS,
    )
    # the emulators' own exit-by-itself limit (a safety net) must outlast the whole run
    lifetime = int(min(args.budget_min, 24 * 60) * 60 * 2 + 3600)
    print('genesyscloud.sso benchmark (%s) on %s, %s cores; logs in %s' % (
        results['mode'], info['cpu_model'], info['nproc'], workdir))
    try:
        # parts 1 and 3: no latency, a small seed
        if not {'requests', 'per-task'} <= args.skip:
            seed = os.path.join(workdir, 'seed-small.json')
            harness.write_seed(seed, SMALL_SEED_ORGS)
            emu = harness.start_emulator(os.path.join(workdir, 'emu-small'), seed, latency_ms=0,
                                         lifetime_seconds=lifetime)
            try:
                if 'requests' not in args.skip:
                    print('\n[1/3] requests per org (emulator latency 0 ms)')
                    results['requests'] = bench_requests(emu, workdir, cert, failures)
                    print(report.requests_table(results['requests'], MINIMUM))
                if 'per-task' not in args.skip:
                    print('\n[3/3] per-task cost (emulator latency 0 ms)')
                    counts = dict(controller=args.per_task_count * 3, module=args.per_task_count,
                                  uri=args.per_task_count)
                    results['per_task'] = bench_per_task(emu, workdir, cert, counts, args.per_task_reps, failures,
                                                         deadline=t_start + 0.3 * args.budget_min * 60)
                    if results['per_task']:
                        print(report.per_task_table(results['per_task']))
            finally:
                emu.stop()
        if 'fleet' not in args.skip:
            print('\n[2/3] fleet: %s orgs, %d ms latency per request' % (
                ','.join(map(str, args.sizes)), args.latency_ms))
            seed = os.path.join(workdir, 'seed-fleet.json')
            harness.write_seed(seed, big_size)
            emu = harness.start_emulator(os.path.join(workdir, 'emu-fleet'), seed, latency_ms=args.latency_ms,
                                         lifetime_seconds=lifetime)
            runs, skipped = [], []
            results['fleet'] = dict(runs=runs, medians=[], ratios=[], skipped=skipped)
            try:
                deadline = t_start + args.budget_min * 60
                stages = fleet_plan(args.sizes, args.reps, args.reps_big, big_size, args.forks_sweep, args.forks,
                                    args.tools, args.uri_max_size)
                bench_fleet(emu, workdir, cert, stages, failures, deadline, runs, skipped)
            except Exception as exc:  # keep what was measured; the run still fails
                failures.add('fleet', 'aborted: %s: %s' % (type(exc).__name__, exc))
            finally:
                emu.stop()
                medians, ratios = summarise_fleet(runs)
                results['fleet'].update(medians=medians, ratios=ratios)
            print(report.fleet_table(ratios))
    finally:
        results['machine']['loadavg_end'] = list(harness.loadavg())
        results['duration_s'] = round(time.monotonic() - t_start, 1)
        results['failures'] = failures
        if args.output_dir:
            out_json = os.path.join(args.output_dir, 'results.json')
            out_md = os.path.join(args.output_dir, 'performance.md')
            out_png = os.path.join(args.output_dir, 'performance-fleet.png')
        elif args.quick:
            qdir = os.path.join(out_root, 'quick')
            out_json, out_md, out_png = (os.path.join(qdir, n) for n in
                                         ('results.json', 'performance.md', 'performance-fleet.png'))
        else:
            out_json = os.path.join(harness.BENCH_DIR, 'results.json')
            out_md = os.path.join(harness.REPO, 'docs', 'performance.md')
            out_png = os.path.join(harness.REPO, 'docs', 'performance-fleet.png')
        for path in (out_json, out_md, out_png):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(out_json, 'w') as f:
            json.dump(results, f, indent=1, sort_keys=True)
            f.write('\n')
        has_plot = bool((results.get('fleet') or {}).get('medians'))
        if has_plot:
            report.plot_fleet(results, out_png)
        report.write_markdown(results, out_md, os.path.basename(out_png) if has_plot else None)
        print('\nwrote %s, %s%s (%.0f s)' % (out_json, out_md, ', ' + out_png if has_plot else '',
                                             results['duration_s']))
        if not args.keep_logs and not failures:
            shutil.rmtree(workdir, ignore_errors=True)
        elif failures:
            print('logs kept in %s' % workdir)
    if failures:
        print('\n%d failure(s):' % len(failures), file=sys.stderr)
        for f in failures:
            print('  - %s' % f['what'], file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
