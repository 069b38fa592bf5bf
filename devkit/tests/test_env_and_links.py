"""paths, the collections link and the Ansible environment."""

import os

import pytest

from genesys_devkit import ansible_env as env_mod
from genesys_devkit.collections import LINK_TARGET, collection_link, ensure_collections_link
from genesys_devkit.paths import BIN, EMULATOR_DIR, PYTHON, REPO, TASK_RECORDER_DIR


def test_paths_name_the_repo_and_its_venv():
    assert os.path.exists(os.path.join(REPO, 'galaxy.yml'))
    assert os.path.isdir(os.path.join(EMULATOR_DIR, 'genesys_emulator'))
    assert os.path.exists(PYTHON) and os.path.dirname(PYTHON) == BIN
    assert os.path.exists(os.path.join(TASK_RECORDER_DIR, 'e2e_jsonl.py'))


def test_link_is_made_once_and_points_at_the_repo_root(tmp_path):
    collections = str(tmp_path / '.collections')
    assert ensure_collections_link(collections) == collections
    link = collection_link(collections)
    assert os.path.islink(link) and os.readlink(link) == LINK_TARGET
    assert ensure_collections_link(collections) == collections  # again: nothing to do, no error
    assert os.readlink(link) == LINK_TARGET


def test_real_link_reaches_the_working_tree():
    collections = ensure_collections_link()
    assert os.path.samefile(os.path.join(collection_link(collections), 'galaxy.yml'), os.path.join(REPO, 'galaxy.yml'))


def test_a_copy_in_the_links_place_is_kept_unless_replace(tmp_path):
    collections = str(tmp_path / '.collections')
    copy = collection_link(collections)
    os.makedirs(copy)
    (tmp_path / '.collections' / 'ansible_collections' / 'genesyscloud' / 'sso' / 'keep').write_text('x')
    ensure_collections_link(collections)
    assert not os.path.islink(copy) and os.path.exists(os.path.join(copy, 'keep'))
    ensure_collections_link(collections, replace=True)
    assert os.path.islink(copy)


def test_env_drops_connection_defaults_and_config(monkeypatch):
    monkeypatch.setenv('GENESYSCLOUD_CLIENT_SECRET', 'leak-me-not')
    monkeypatch.setenv('ANSIBLE_CONFIG', '/nowhere/ansible.cfg')
    monkeypatch.setenv('PYTHONPATH', '/already/there')
    env = env_mod.ansible_env()
    assert not [k for k in env if k.startswith('GENESYSCLOUD_')]
    assert 'ANSIBLE_CONFIG' not in env
    for key, value in env_mod.QUIET.items():
        assert env[key] == value
    assert env['PATH'].split(os.pathsep)[0] == BIN
    assert env['PYTHONPATH'].split(os.pathsep) == [EMULATOR_DIR, '/already/there']
    assert env['ANSIBLE_PYTHON_INTERPRETER'] == PYTHON
    assert os.path.samefile(env['ANSIBLE_COLLECTIONS_PATH'], os.path.join(REPO, '.collections'))
    assert env['ANSIBLE_STDOUT_CALLBACK'] == 'default'
    assert 'HOME' in env


def test_env_only_ours_and_knobs(tmp_path):
    env = env_mod.ansible_env({'ANSIBLE_NOCOLOR': None, 'X_COUNT': 3}, inherit=False, stdout_callback=None,
                              record_tasks=str(tmp_path / 'r.jsonl'), log_path=str(tmp_path / 'a.log'),
                              local_temp=str(tmp_path / 'tmp'), ansible_home=str(tmp_path / 'home'),
                              collections_path='/somewhere')
    assert 'HOME' not in env and 'ANSIBLE_STDOUT_CALLBACK' not in env and 'ANSIBLE_NOCOLOR' not in env
    assert env['X_COUNT'] == '3'
    assert env['ANSIBLE_COLLECTIONS_PATH'] == '/somewhere'
    assert env['ANSIBLE_CALLBACKS_ENABLED'] == 'e2e_jsonl' and env['E2E_JSONL_PATH'] == str(tmp_path / 'r.jsonl')
    assert env['ANSIBLE_CALLBACK_PLUGINS'] == TASK_RECORDER_DIR
    assert env['ANSIBLE_LOG_PATH'] == str(tmp_path / 'a.log')
    assert env['ANSIBLE_LOCAL_TEMP'] == str(tmp_path / 'tmp') and env['ANSIBLE_HOME'] == str(tmp_path / 'home')


@pytest.mark.parametrize('value', ['', 'x'])
def test_env_extra_sets_text_even_empty(value):
    assert env_mod.ansible_env({'SOME_KNOB': value}, inherit=False)['SOME_KNOB'] == value


def test_shell_env_for_scripts(monkeypatch, tmp_path):
    import subprocess

    from genesys_devkit.__main__ import shell_env

    monkeypatch.setenv('GENESYSCLOUD_OAUTHCLIENT_SECRET', 'leak-me-not')
    monkeypatch.setenv('ANSIBLE_CONFIG', '/nowhere.cfg')
    monkeypatch.setenv('PYTHONPATH', "/a path/with 'quotes'")
    text = shell_env()
    assert 'unset GENESYSCLOUD_OAUTHCLIENT_SECRET' in text and 'unset ANSIBLE_CONFIG' in text
    out = subprocess.run(['bash', '-c', text + 'echo "$PYTHONPATH|${GENESYSCLOUD_OAUTHCLIENT_SECRET-gone}|$ANSIBLE_NOCOLOR"'],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "%s:/a path/with 'quotes'|gone|1" % EMULATOR_DIR
