"""The one environment builder of Ansible runs (tests, the benchmark, the gates).

What it sets, and why:

* ``ANSIBLE_COLLECTIONS_PATH``: the ``.collections`` link (the working tree), or a given path (a snapshot, an install);
* ``PATH``: the venv's bin first (``ansible-playbook`` of the venv; ansible-runner finds it there);
  ``ANSIBLE_PYTHON_INTERPRETER``: the venv's python; ``PYTHONPATH``: ``emulator/`` first (``genesys_emulator``);
* quiet, comparable output: no colour, no retry files, no host key checks, no deprecation or localhost warnings,
  the ``default`` stdout callback (what a user sees) unless told otherwise;
* nothing of the caller's own ``GENESYSCLOUD_*`` variables (connection defaults of the modules) nor its
  ``ANSIBLE_CONFIG`` leaks into a run;
* per run, when given: ``ANSIBLE_LOG_PATH``, ``ANSIBLE_LOCAL_TEMP`` and ``ANSIBLE_HOME`` in the run's private directory,
  and the task recorder (the ``e2e_jsonl`` callback writing one JSON line per task result to ``record_tasks``).

``extra`` goes last: a value ``None`` removes the variable, any other value is set as text.
"""

import os

from genesys_devkit.collections import ensure_collections_link
from genesys_devkit.paths import BIN, EMULATOR_DIR, PYTHON, TASK_RECORDER, TASK_RECORDER_DIR

QUIET = {
    'ANSIBLE_NOCOLOR': '1',
    'ANSIBLE_FORCE_COLOR': '0',
    'ANSIBLE_RETRY_FILES_ENABLED': '0',
    'ANSIBLE_HOST_KEY_CHECKING': '0',
    'ANSIBLE_DEPRECATION_WARNINGS': '0',
    'ANSIBLE_LOCALHOST_WARNING': '0',
}
DROPPED_PREFIXES = ('GENESYSCLOUD_',)
DROPPED = ('ANSIBLE_CONFIG',)


def ansible_env(extra=None, inherit=True, collections_path=None, python=PYTHON, bin_dir=BIN, emulator_path=EMULATOR_DIR,
                stdout_callback='default', record_tasks=None, log_path=None, local_temp=None, ansible_home=None):
    """Environment of an Ansible run (see the module docstring).

    ``inherit=False`` returns only what is set here (for ansible-runner's ``envvars``, which it merges over the
    caller's environment and may write into its private directory).
    """
    env = {}
    if inherit:
        env = dict((k, v) for k, v in os.environ.items()
                   if not k.startswith(DROPPED_PREFIXES) and k not in DROPPED)
    env.update(QUIET)
    env['ANSIBLE_COLLECTIONS_PATH'] = collections_path or ensure_collections_link()
    env['ANSIBLE_PYTHON_INTERPRETER'] = python
    env['PATH'] = bin_dir + os.pathsep + os.environ.get('PATH', '')
    if emulator_path:
        old = os.environ.get('PYTHONPATH')
        env['PYTHONPATH'] = emulator_path + (os.pathsep + old if old else '')
    if stdout_callback:
        env['ANSIBLE_STDOUT_CALLBACK'] = stdout_callback
    if record_tasks:
        env['ANSIBLE_CALLBACK_PLUGINS'] = TASK_RECORDER_DIR
        env['ANSIBLE_CALLBACKS_ENABLED'] = TASK_RECORDER
        env['E2E_JSONL_PATH'] = record_tasks
    if log_path:
        env['ANSIBLE_LOG_PATH'] = log_path
    if local_temp:
        env['ANSIBLE_LOCAL_TEMP'] = local_temp
    if ansible_home:
        env['ANSIBLE_HOME'] = ansible_home
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env
