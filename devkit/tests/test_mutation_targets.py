"""The targets of ``make mutation`` (tools/mutation.py) exist: every file, function, line pattern and
explained-survivor rule it names (issue 15 moved the safety code into new files; a stale name would make the
mutation run score other code, or nothing, without saying so)."""

import collections
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, 'tools', 'mutation.py')


@pytest.fixture(scope='module')
def mutation():
    """tools/mutation.py, imported by path (its own module object: the tables the tests monkeypatch are put back
    after each test; the mutants it makes of a file are cached for the module)."""
    spec = importlib.util.spec_from_file_location('gsso_tools_mutation', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_file_function_and_line_pattern_named_exists(mutation):
    assert mutation.check_targets(ROOT, mutants=False) == []


def test_every_explained_rule_matches_a_mutant_mutmut_makes_of_its_safety_function(mutation):
    pytest.importorskip('mutmut', reason='mutmut is a dev requirement of the 3.11 venv (requirements-dev.txt)')
    assert mutation.check_targets(ROOT, mutants=True) == []


def test_the_safety_code_of_every_area_is_mutated(mutation):
    """The safety scope of issue 13 E16 and its new homes (issue 15): each area has its file and functions."""
    mu = 'plugins/module_utils/'
    expected = {
        mu + '_genesys_provider_model.py': ['lockout_check', 'reduces_sign_in', 'org_has_sign_in', 'provider_path',
                                            'validate_provider_id', 'classify_entity', '_is_https_url'],
        mu + '_genesys_provider_change.py': ['Change.guard', 'Change.guard_after_write', 'Change.check_backup_target'],
        mu + '_genesys_provider_backup.py': ['load_backup', 'write_backup', 'org_matches', 'host_of'],
        mu + '_genesys_provider_input.py': ['check_inputs'],
        mu + '_genesys_txn.py': ['safe_segment', 'check_private_dir'],
        mu + '_genesys_transport.py': ['check_https_url', 'Transport.__init__', 'Transport.redirect_error',
                                       '_location_host', '_masked_body'],
        mu + '_genesys_client.py': ['_check_base_url', 'GenesysClient.mask', 'GenesysClient._clean_token'],
        mu + '_genesys_common.py': ['secret_forms', 'SecretMasker.mask', 'scrub'],
    }
    for rel, functions in expected.items():
        for func in functions:
            assert mutation.wanted(rel, func, safety_only=True), (rel, func)
    for rel in (mu + '_genesys_grants.py', mu + '_genesys_provider_read.py', mu + '_genesys_provider_recovery.py',
                mu + '_genesys_api.py'):
        assert rel in mutation.FILES
    # --safety-only never mutates a function outside SAFETY_FUNCTIONS
    for rel in mutation.FILES:
        for func in mutation.function_lines(os.path.join(ROOT, rel)):
            if mutation.wanted(rel, func, safety_only=True):
                assert mutation.is_safety(rel, func), (rel, func)


def test_a_moved_file_a_renamed_function_and_a_stale_rule_are_named(mutation, monkeypatch):
    """What the drift of issue 15 looked like: the old core's names in the tables."""
    core = 'plugins/module_utils/_genesys_identity_provider_core.py'
    gone = 'plugins/module_utils/genesys_idp.py'
    files = collections.OrderedDict(mutation.FILES)
    files[gone] = ('domain before the rename', ['*'], [])
    files[core] = ('provider core', ['*'], ['_apply_metadata'])
    safety = collections.OrderedDict(mutation.SAFETY_FUNCTIONS)
    safety[core] = [('_Change.guard', None), ('core', r'backup_dir')]
    explained = list(mutation.EXPLAINED) + [
        (core, '_write_backup', r'os\.open\(path, ', 'moved to the backup file'),
        (mutation.BACKUP, 'write_backup', r'os\.open\(path, 0o644\)', 'a pattern no mutant has'),
    ]
    monkeypatch.setattr(mutation, 'FILES', files)
    monkeypatch.setattr(mutation, 'SAFETY_FUNCTIONS', safety)
    monkeypatch.setattr(mutation, 'EXPLAINED', explained)
    problems = mutation.check_targets(ROOT, mutants=False)
    text = '\n'.join(problems)
    assert '%s (domain before the rename) does not exist' % gone in text
    assert "%s: '_apply_metadata' matches no function of the file" % core in text
    assert "%s: '_Change.guard' matches no mutated function of the file" % core in text
    assert "the line pattern 'backup_dir' of 'core' matches no line of core" in text
    assert "%s: '_write_backup' matches no safety function of the file" % core in text
    assert len(problems) == 5, problems
    pytest.importorskip('mutmut')
    problems = mutation.check_targets(ROOT, mutants=True)
    assert len(problems) == 6, problems
    assert "the rule 'os\\\\.open\\\\(path, 0o644\\\\)' on 'write_backup' matches no mutant" in problems[-1]


def test_list_and_a_run_refuse_missing_targets(mutation, monkeypatch, capsys):
    pytest.importorskip('mutmut')
    assert mutation.main(['--list', '--safety-only']) == 0
    assert 'mutation: every target exists' in capsys.readouterr().out
    files = collections.OrderedDict(mutation.FILES)
    files['plugins/module_utils/_genesys_gone.py'] = ('gone', ['*'], [])
    monkeypatch.setattr(mutation, 'FILES', files)
    assert mutation.main(['--list']) == 1
    assert 'missing target: FILES: plugins/module_utils/_genesys_gone.py (gone) does not exist' in capsys.readouterr().out

    def no_run(*args, **kwargs):
        raise AssertionError('a run started on missing targets')

    monkeypatch.setattr(mutation, 'export_tree', no_run)
    monkeypatch.setattr(mutation.tempfile, 'mkdtemp', no_run)
    assert mutation.main(['--report', '-']) == 1
    assert 'fix FILES / SAFETY_FUNCTIONS / EXPLAINED' in capsys.readouterr().out
