"""The playbook runner: files, recap, timeouts, and one real short run in each mode."""

import json
import os
import stat
import subprocess
import sys
import time

import pytest

from genesys_devkit import playbook

PLAY = [{'hosts': 'all', 'gather_facts': False, 'tasks': [
    {'name': 'say', 'ansible.builtin.debug': {'msg': 'hello {{ kit_word }}'}},
    {'name': 'change', 'ansible.builtin.command': 'true', 'changed_when': True},
    {'name': 'skip', 'ansible.builtin.debug': {'msg': 'never'}, 'when': False},
    {'name': 'fail on b', 'ansible.builtin.fail': {'msg': 'b fails'}, 'when': "inventory_hostname == 'b'"},
]}]
INVENTORY = {'all': {'hosts': {'a': {}, 'b': {}},
                     'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}
SECRET = 'kit-extra-var-s3cret-value'

RECAP = """
PLAY [x] ****
TASK [y] ****
PLAY RECAP *********************************************************************
org-0001                   : ok=5    changed=1    unreachable=0    failed=0    skipped=6    rescued=0    ignored=0
org-0002                   : ok=3    changed=0    unreachable=1    failed=2    skipped=1    rescued=1    ignored=1
"""


def test_parse_recap_and_totals():
    stats = playbook.parse_recap(RECAP)
    assert stats['org-0002'] == dict(ok=3, changed=0, unreachable=1, failures=2, skipped=1, rescued=1, ignored=1)
    totals = playbook.recap_totals(stats)
    assert totals == dict(hosts=2, ok=8, changed=1, failed=2, unreachable=1, skipped=7, rescued=1, ignored=1,
                          changed_hosts=1, failed_hosts=1, tasks_per_host=9.5)
    assert playbook.parse_recap('no recap here') == {} and playbook.recap_totals({})['hosts'] == 0
    one = dict(ok=1, changed=0, unreachable=0, failures=0, skipped=0, rescued=0, ignored=0)
    assert playbook.recap_totals(dict(('h%d' % i, one) for i in range(3)))['tasks_per_host'] == 1.0
    assert playbook.recap_totals({'a': dict(one, ok=2), 'b': one, 'c': one})['tasks_per_host'] == 1.33


def test_private_files_and_inputs(tmp_path):
    work = playbook.private_dir()
    try:
        assert stat.S_IMODE(os.stat(work).st_mode) == 0o700
        path = playbook.write_private(work, 'ev.json', {'a': 1})
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and json.load(open(path)) == {'a': 1}
        existing = tmp_path / 'site.yml'
        existing.write_text('- hosts: all\n')
        assert playbook._as_file(work, 'p.yml', str(existing)) == str(existing)  # a path stays
        text = playbook._as_file(work, 'p.yml', '- hosts: all\n  tasks: []\n')
        assert text.startswith(work) and open(text).read().startswith('- hosts')
    finally:
        import shutil
        shutil.rmtree(work)
    with pytest.raises(ValueError):
        playbook.run_playbook(PLAY, mode='awx')


def test_run_command_times_out_and_kills_the_group(tmp_path):
    pid_file = tmp_path / 'child.pid'
    script = 'import subprocess,sys,time; p=subprocess.Popen([sys.executable,"-c","import time; time.sleep(60)"]); ' \
             'open(%r,"w").write(str(p.pid)); time.sleep(60)' % str(pid_file)
    start = time.monotonic()
    res = playbook.run_command([sys.executable, '-c', script], str(tmp_path / 'out.log'), timeout=2)
    assert res['timed_out'] and res['rc'] == -9 and time.monotonic() - start < 20
    child = int(pid_file.read_text())
    for _ in range(50):  # the grandchild was killed with the group (reaped by init)
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail('child %d outlived the timeout' % child)
    ok = playbook.run_command([sys.executable, '-c', 'print("x")'], str(tmp_path / 'ok.log'), timeout=30)
    assert ok['rc'] == 0 and not ok['timed_out'] and ok['cpu'] > 0 and (tmp_path / 'ok.log').read_text() == 'x\n'


def _check_result(res):
    assert res.rc == 2, res
    assert res.stats['a'] == dict(ok=2, changed=1, failures=0, unreachable=0, skipped=2, rescued=0, ignored=0)
    assert res.stats['b']['failures'] == 1
    assert res.failed_hosts() == ['b'] and res.changed_hosts() == ['a', 'b']
    assert res.recap['hosts'] == 2 and res.recap['failed_hosts'] == 1 and res.recap['changed_hosts'] == 2
    assert res.task('say', 'a')['status'] == 'ok' and res.task('change', 'b')['status'] == 'changed'
    assert res.task('say', 'a')['result']['msg'] == 'hello %s' % SECRET
    assert [t['host'] for t in res.failed] == ['b']
    assert res.elapsed > 0 and res.cpu_seconds > 0 and not res.timed_out
    assert SECRET not in json.dumps(res.cmd)  # extra vars go through a file, never the command line
    assert 'PLAY RECAP' in res.stdout


def test_subprocess_mode_real_run():
    res = playbook.run_playbook(PLAY, INVENTORY, {'kit_word': SECRET}, record_tasks=True, log=True)
    _check_result(res)
    assert res.mode == 'subprocess' and res.status == 'failed'
    ev = [a for a in res.cmd if a.startswith('@')][0][1:]
    assert stat.S_IMODE(os.stat(ev).st_mode) == 0o600 and os.path.dirname(ev) == res.workdir
    assert 'TASK [say]' in res.log  # ANSIBLE_LOG_PATH in the private dir
    assert playbook.parse_recap(res.stdout) == res.stats  # the recorder's stats are the recap's


def test_runner_mode_real_run():
    res = playbook.run_playbook(PLAY, INVENTORY, {'kit_word': SECRET}, mode='runner')
    _check_result(res)
    assert res.mode == 'runner' and res.status == 'failed' and res.runner.rc == 2
    assert any(e.get('event') == 'playbook_on_stats' for e in res.events)
    assert res.artifact_dir.startswith(res.workdir)


def test_start_playbook_can_be_killed(tmp_path):
    play = [{'hosts': 'all', 'gather_facts': False, 'tasks': [{'ansible.builtin.pause': {'seconds': 60}}]}]
    running = playbook.start_playbook(play, INVENTORY, limit='a')
    time.sleep(1)
    running.kill()
    res = running.wait(timeout=30)
    assert res.rc != 0 and res.elapsed < 30


def test_timeout_of_a_run_is_reported(tmp_path):
    play = [{'hosts': 'all', 'gather_facts': False, 'tasks': [{'ansible.builtin.pause': {'seconds': 60}}]}]
    res = playbook.run_playbook(play, INVENTORY, limit='a', timeout=3)
    assert res.timed_out and res.rc == -9 and res.status == 'timeout'
    with pytest.raises(subprocess.TimeoutExpired):
        sys.path.insert(0, os.path.join(playbook.REPO, 'tests', 'e2e'))
        import helpers  # the e2e wrapper keeps raising on a timeout
        helpers.run_playbook(play, inventory=INVENTORY, limit='a', timeout=3)
