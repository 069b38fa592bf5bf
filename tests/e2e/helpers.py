# -*- coding: utf-8 -*-
"""Shared helpers of the end-to-end tests (real ``ansible-playbook`` against the emulator).

See the top of ``conftest.py`` for the overview. Import with ``from helpers import ...``
(``tests/e2e`` is on ``sys.path`` through ``conftest.py``).
"""

import os
import subprocess
import sys

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
_KIT = os.path.join(os.path.dirname(os.path.dirname(E2E_DIR)), 'devkit')
if _KIT not in sys.path:
    sys.path.insert(0, _KIT)

from genesys_devkit import ansible_env as _env, playbook as _playbook  # noqa: E402
from genesys_devkit.collections import ensure_collections_link  # noqa: E402,F401
from genesys_devkit.emulator import connection_vars as emulator_vars  # noqa: E402,F401
from genesys_devkit.paths import BIN, COLLECTIONS, EMULATOR_DIR, PYTHON, REPO, VENV_BIN, on_sys_path  # noqa: E402,F401
from genesys_devkit.playbook import PlaybookResult, default_inventory  # noqa: E402,F401
from genesys_devkit.seeds import client_of  # noqa: E402,F401

on_sys_path(EMULATOR_DIR)

# Seed used when a test module does not choose one (marker ``emulator_seed``).
DEFAULT_SEED = {
    'orgs': [
        {
            'name': 'e2e-org',
            'id': '7a0e6c8e-0000-4000-8000-00000000e2e1',
            'display_name': 'E2E Org',
            'region': 'us-east-1',
            'clients': [
                {'id': 'e2e-admin', 'secret': 'e2e-admin-secret-7f3a91', 'name': 'E2E SSO admin',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'active',
                 'permissions': ['sso:provider:*', 'oauth:client:view'],
                 'roles': [{'id': '3b7c0d1e-0000-4000-8000-0000000000a1', 'name': 'SSO Admin', 'division_id': '*'}]},
                {'id': 'e2e-bot', 'secret': 'e2e-bot-secret-5c2e77', 'name': 'E2E bot',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'active', 'permissions': ['oauth:client:view']},
                {'id': 'e2e-user-app', 'secret': 'e2e-user-app-secret-1d9b', 'name': 'E2E password app',
                 'grant_type': 'PASSWORD', 'state': 'active', 'permissions': ['*']},
                {'id': 'e2e-saml-app', 'secret': 'e2e-saml-app-secret-8e4c', 'name': 'E2E SAML app',
                 'grant_type': 'SAML2-BEARER', 'state': 'active', 'permissions': ['*']},
                {'id': 'e2e-disabled', 'secret': 'e2e-disabled-secret-0a0a', 'name': 'E2E disabled',
                 'grant_type': 'CLIENT-CREDENTIALS', 'state': 'disabled', 'permissions': ['*']},
            ],
            'users': [{'email': 'alice@e2e.example', 'password': 'e2e-alice-password-42'}],
        },
    ],
}


def base_env(extra=None):
    """Environment for ansible-playbook (``genesys_devkit.ansible_env``): our collection, no colour, no
    GENESYSCLOUD_* leaking in, plus the task recorder of this suite (callback ``e2e_jsonl``); ``extra`` last
    (value None removes a key)."""
    knobs = dict(ANSIBLE_CALLBACK_PLUGINS=_env.TASK_RECORDER_DIR, ANSIBLE_CALLBACKS_ENABLED=_env.TASK_RECORDER)
    knobs.update(extra or {})
    return _env.ansible_env(knobs)


def run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, inventory=None,
                 limit=None, tags=None, timeout=300, args=()):
    """Run ``ansible-playbook`` (``genesys_devkit.playbook.run_playbook``, subprocess mode, every task result
    recorded) and return its ``PlaybookResult``; a run past ``timeout`` raises ``subprocess.TimeoutExpired``.

    ``playbook``: a path, YAML text, or a list (plays) serialised to YAML.
    ``inventory``: a path, YAML text, or a dict; default ``localhost`` (connection local, the venv interpreter).
    ``extra_vars``: dict written to a 0600 JSON file passed as ``-e @file`` (never on the command line,
    which ``-vvvv`` prints). ``env``: extra environment (value None removes a key).
    """
    result = _playbook.run_playbook(playbook, inventory, extra_vars, check=check, diff=diff, verbosity=verbosity,
                                    limit=limit, tags=tags, args=args, env=env, timeout=timeout, record_tasks=True)
    if result.timed_out:
        raise subprocess.TimeoutExpired(result.cmd, timeout, output=result.stdout, stderr=result.stderr)
    return result


def run_playbook_runner(playbook, extra_vars=None, verbosity=0, env=None, inventory=None, timeout=300):
    """Run the playbook through ansible-runner (the AWX engine; the kit's runner mode).

    Returns ``(runner, events, stdout)``: the ``ansible_runner.Runner``, the list of its event dicts and
    the whole stdout text.
    """
    result = _playbook.run_playbook(playbook, inventory, extra_vars, mode='runner', verbosity=verbosity, env=env,
                                    timeout=timeout)
    return result.runner, result.events, result.stdout
