# -*- coding: utf-8 -*-
"""End-to-end tests: real ``ansible-playbook`` against the Genesys Cloud emulator.

Shared fixtures (any test under ``tests/e2e`` may use them):

``emulator`` (module scope)
    A running ``genesys_devkit.emulator.Emulator`` (``genesys_emulator.testing.EmulatorProcess``: ``.url``,
    ``.ca_path``, ``.add_fault()``, ``.requests()``, ``.reset()``, ``.patch_client()``, ``.expire_tokens()``...,
    and the kit's ``.writes()``, ``.connection()``). The seed is
    ``helpers.DEFAULT_SEED`` unless the module sets ``pytestmark = pytest.mark.emulator_seed(<dict or path>)``
    (or a test parametrizes the fixture indirectly with a seed). The seed used is ``emulator.seed_data``
    when it was given as a dict.
``emu`` (function scope)
    The module's emulator after ``reset()`` (seed state, no faults, empty log, no tokens).
``emu_vars``
    ``{'api_url', 'login_url', 'ca_path'}`` of the emulator, for tasks or module_defaults.

Helpers (``from helpers import run_playbook, ...``):

``run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0, env=None, inventory=None,
limit=None, tags=None, timeout=300, args=())``
    The dev kit's runner (``devkit/genesys_devkit/playbook.py``, subprocess mode): ``.venv/bin/ansible-playbook``
    with ``ANSIBLE_COLLECTIONS_PATH=<repo>/.collections`` (the symlink is created when missing), the default
    stdout callback (``stdout`` is what a user sees) plus our
    ``e2e_jsonl`` callback that records every task result. ``playbook`` and ``inventory`` may be a path,
    YAML text or Python data; the default inventory is ``localhost`` with ``ansible_connection=local`` and
    the venv interpreter. Returns ``PlaybookResult``: ``rc``, ``stdout``, ``stderr``, ``tasks`` (list of
    ``{host, task, action, status, result}``), ``task(name)``, ``results(name)``, ``failed``, ``stats``,
    ``recap``, ``elapsed``, ``cpu_seconds``.
    The recorded ``result`` is what callbacks receive, so a no_log result is the censored form; use
    ``ansible.builtin.set_stats``/``debug`` of a derived value to look at registered data.
``run_playbook_runner(playbook, extra_vars=None, verbosity=0, env=None, inventory=None)``
    Same through ansible-runner (the AWX engine): returns ``(runner, events, stdout)``.
``emulator_vars(emulator)``, ``client_of(seed, client_id)``, ``DEFAULT_SEED``, ``PYTHON``.
"""

import copy
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import DEFAULT_SEED, emulator_vars, ensure_collections_link  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line('markers', 'emulator_seed(seed): seed (dict or file path) of the module-scoped emulator')


@pytest.fixture(scope='session', autouse=True)
def _collections_link():
    ensure_collections_link()


@pytest.fixture(scope='module')
def emulator(request):
    from genesys_devkit.emulator import Emulator

    seed = getattr(request, 'param', None)
    if seed is None:
        marker = request.node.get_closest_marker('emulator_seed')
        seed = marker.args[0] if marker else DEFAULT_SEED
    seed = copy.deepcopy(seed)
    proc = Emulator(seed=seed, lifetime_seconds=900)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def emu(emulator):
    emulator.reset()
    return emulator


@pytest.fixture
def emu_vars(emulator):
    return emulator_vars(emulator)
