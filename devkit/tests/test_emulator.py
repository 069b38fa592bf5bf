"""The emulator launcher: the kit's helpers over EmulatorProcess, and a launcher per emulator tree."""

import os
import shutil

import requests

from genesys_devkit import emulator as kit_emulator, seeds
from genesys_devkit.paths import EMULATOR_DIR


def _environ(pid):
    with open('/proc/%d/environ' % pid, 'rb') as handle:
        return dict(item.split('=', 1) for item in handle.read().decode().split('\0') if '=' in item)


def test_default_launcher_is_the_emulator_process_and_adds_helpers(tmp_path):
    EmulatorProcess = kit_emulator.EmulatorProcess  # genesys_emulator.testing's, from the repo's emulator/

    seed = seeds.fleet_seed(['kit-a', 'kit-b'])
    path = seeds.write_seed(str(tmp_path / 'seed.json'), seed)
    with kit_emulator.Emulator(seed=path) as emu:
        assert isinstance(emu, EmulatorProcess) and emu.seed_data is None
        assert emu.connection() == {'api_url': emu.url, 'login_url': emu.url, 'ca_path': emu.ca_path}
        token = emu.token('kit-a-admin', 'kit-a-admin-secret')
        requests.put(emu.url + '/api/v2/identityproviders/okta', json={'name': 'Okta'}, timeout=30,
                     headers={'Authorization': 'Bearer ' + token}, verify=emu.ca_path)
        writes = emu.writes()
        assert [(w['method'], w['path']) for w in writes] == [('PUT', '/api/v2/identityproviders/okta')]
        assert emu.writes(org='kit-b') == []
        assert emu.last_seq() == max(r['seq'] for r in emu.requests()) >= 2
        cpu = emu.cpu_seconds()
        assert cpu is not None and cpu > 0
    assert kit_emulator.Emulator(seed={'orgs': []}).seed_data == {'orgs': []}


def test_write_requests_filter():
    log = [dict(method='POST', path='/oauth/token'), dict(method='GET', path='/api/v2/x'),
           dict(method='DELETE', path='/api/v2/identityproviders/okta'), dict(method='POST', path='/_emulator/faults')]
    assert kit_emulator.write_requests(log) == [log[2]]


def test_a_copied_tree_starts_its_own_emulator(tmp_path):
    root = str(tmp_path / 'emulator')
    shutil.copytree(EMULATOR_DIR, root, ignore=shutil.ignore_patterns('__pycache__', 'tests'))
    cls = kit_emulator.emulator_class(root)
    assert cls is kit_emulator.emulator_class(root) and cls is not kit_emulator.emulator_class()
    with cls(seed={'orgs': [{'name': 'copy-org'}]}, latency_ms=5) as emu:
        assert _environ(emu.pid)['PYTHONPATH'].split(os.pathsep)[0] == root
        assert '--latency-ms' in open('/proc/%d/cmdline' % emu.pid).read().split('\0')
        assert [o['name'] for o in emu.state()['orgs']] == ['copy-org']
