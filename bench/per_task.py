#!/usr/bin/env python
"""Per-task cost of one authenticated GET (/api/v2/organizations/me) through three paths.

* action  : genesyscloud.sso.genesys_token (grant_type token, include_organization) in the controller
* module  : the same task with genesyscloud_sso_execution=module (AnsiballZ module process)
* uri     : ansible.builtin.uri doing the same GET with the same bearer token

Per task = (T(N tasks) - T(0 tasks)) / N, median of --reps runs, against the emulator started here.
Usage: .venv/bin/python bench/per_task.py [--count 40] [--reps 3] [--json out.json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'emulator'))
BIN = os.path.join(REPO, '.venv', 'bin')

SEED = {'orgs': [{'name': 'bench-org', 'clients': [
    {'id': 'bench-admin', 'secret': 'bench-admin-secret', 'name': 'bench', 'grant_type': 'CLIENT-CREDENTIALS',
     'permissions': ['*']}]}]}


def task(kind, emu):
    if kind == 'action' or kind == 'module':
        t = {'genesyscloud.sso.genesys_token': {'grant_type': 'token', 'include_organization': True,
                                                'api_url': emu.url, 'ca_path': emu.ca_path,
                                                'access_token': '{{ bench_token }}'}}
        if kind == 'module':
            t['vars'] = {'genesyscloud_sso_execution': 'module'}
        return t
    return {'ansible.builtin.uri': {'url': emu.url + '/api/v2/organizations/me', 'ca_path': emu.ca_path,
                                    'headers': {'Authorization': 'Bearer {{ bench_token }}'}, 'return_content': False}}


def run(kind, count, emu, workdir, env):
    pb = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task(kind, emu) for _ in range(count)]}]
    path = os.path.join(workdir, '%s-%d.yml' % (kind, count))
    with open(path, 'w') as fh:
        yaml.safe_dump(pb, fh)
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', os.path.join(workdir, 'inv.yml'), path,
                           '-e', '@' + os.path.join(workdir, 'vars.json')], env=env, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit('%s failed:\n%s' % (kind, proc.stdout[-2000:]))
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--count', type=int, default=40)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--json')
    args = ap.parse_args()
    from genesys_emulator.testing import EmulatorProcess

    workdir = tempfile.mkdtemp(prefix='bench-per-task-')
    link = os.path.join(REPO, '.collections', 'ansible_collections', 'genesyscloud', 'sso')
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink('../../..', link)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), ANSIBLE_NOCOLOR='1')
    with open(os.path.join(workdir, 'inv.yml'), 'w') as fh:
        yaml.safe_dump({'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                                        'ansible_python_interpreter': os.path.join(BIN, 'python')}}}}, fh)
    with EmulatorProcess(seed=SEED, lifetime_seconds=1200) as emu:
        with open(os.path.join(workdir, 'vars.json'), 'w') as fh:
            json.dump({'bench_token': emu.token('bench-admin', 'bench-admin-secret')}, fh)
        base = statistics.median(run('uri', 0, emu, workdir, env) for _ in range(args.reps))
        results = {'baseline_s': round(base, 3), 'count': args.count, 'reps': args.reps}
        for kind in ('action', 'module', 'uri'):
            times = [run(kind, args.count, emu, workdir, env) for _ in range(args.reps)]
            results[kind + '_s_per_task'] = round((statistics.median(times) - base) / args.count, 4)
        results['action_over_module'] = round(results['action_s_per_task'] / results['module_s_per_task'], 3)
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(results, fh, indent=2)


if __name__ == '__main__':
    main()
