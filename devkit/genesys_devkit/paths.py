"""Where things are: the repo, the venv and its python, the emulator, the e2e task recorder."""

import os
import sys

KIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # <repo>/devkit
REPO = os.path.dirname(KIT_DIR)
VENV = os.path.join(REPO, '.venv')
VENV_BIN = os.path.join(VENV, 'bin')
# the venv's python when the venv exists (a clean clone before `make venv`: the running interpreter)
PYTHON = os.path.join(VENV_BIN, 'python') if os.path.exists(os.path.join(VENV_BIN, 'python')) else sys.executable
BIN = os.path.dirname(PYTHON)   # where ansible-playbook, ansible-test, ... of that python are
EMULATOR_DIR = os.path.join(REPO, 'emulator')
COLLECTIONS = os.path.join(REPO, '.collections')
# the test-only callback that writes one JSON line per task result (``PlaybookResult.tasks`` of a subprocess run)
TASK_RECORDER_DIR = os.path.join(REPO, 'tests', 'e2e', 'callback_plugins')
TASK_RECORDER = 'e2e_jsonl'


def venv_bin(name, venv=VENV):
    """Path of an executable of ``venv`` (default: the repo's .venv)."""
    return os.path.join(venv, 'bin', name)


def on_sys_path(*directories):
    """Put directories first on ``sys.path`` (once each); returns the first."""
    for directory in reversed(directories):
        if directory not in sys.path:
            sys.path.insert(0, directory)
    return directories[0] if directories else None
