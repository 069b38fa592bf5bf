"""tools/gates.py: the lint gate runs ansible-lint with the repo's own ANSIBLE_HOME.

ansible-lint --offline caches in $ANSIBLE_HOME (default ~/.ansible) and puts its collections directory first on
the collections path, so a copy of this collection installed there by anything else shadows the working tree
(seen: a stale copy without a new filter plugin failed the syntax check of the playbooks).
"""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _gates():
    spec = importlib.util.spec_from_file_location('gates_under_test', os.path.join(REPO, 'tools', 'gates.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lint_gate_uses_the_repo_ansible_home_not_the_users(monkeypatch):
    gates = _gates()
    calls = []
    monkeypatch.setattr(gates, 'ensure_links', lambda: None)
    monkeypatch.setattr(gates, 'run', lambda cmd, env=None, **kw: calls.append((cmd, env)) or (0, ''))
    gate = gates.Gate('lint')
    gates.gate_lint(gate)
    lint = [env for cmd, env in calls if os.path.basename(cmd[0]) == 'ansible-lint']
    assert len(lint) == 1 and lint[0] is not None
    assert lint[0]['ANSIBLE_HOME'] == os.path.join(REPO, '.ansible')
    assert not lint[0]['ANSIBLE_HOME'].startswith(os.path.expanduser('~') + os.sep) or REPO.startswith(os.path.expanduser('~'))
    assert gate.passed == 3 and gate.failed == 0
