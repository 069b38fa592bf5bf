# -*- coding: utf-8 -*-
"""The saml_sso role's inputs agree everywhere: argument specs, defaults, the tasks, docs/role.md, ansible-doc."""

import os
import re
import subprocess

import yaml

from helpers import BIN, PYTHON, REPO, base_env

ROLE = os.path.join(REPO, 'roles', 'saml_sso')
NOT_INPUTS = {'saml_sso_result', 'saml_sso_summary', 'saml_sso_audit', 'saml_sso_plan', 'saml_sso_hosts', 'saml_sso_connection'}


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def _options():
    specs = _load('meta', 'argument_specs.yml')['argument_specs']
    merged = {}
    for entry in specs.values():
        merged.update(entry.get('options') or {})
    return specs, merged


def test_every_variable_is_declared_described_and_prefixed():
    specs, options = _options()
    assert set(specs) == {'main', 'audit', 'report'}
    for entry in specs.values():
        assert entry.get('short_description') and entry.get('description')
    for name, option in options.items():
        assert name.startswith('saml_sso_'), name
        assert option.get('description'), name
        assert option.get('type'), name
        assert option.get('required') or 'default' in option, name


def test_defaults_match_the_argument_specs():
    _, options = _options()
    defaults = _load('defaults', 'main.yml')
    expected = dict((n, o['default']) for n, o in options.items() if not o.get('required'))
    assert defaults == expected


def test_tasks_only_use_declared_inputs():
    _, options = _options()
    used = set()
    for folder in ('tasks', 'vars'):
        for name in os.listdir(os.path.join(ROLE, folder)):
            with open(os.path.join(ROLE, folder, name), encoding='utf-8') as handle:
                used |= set(re.findall(r'(?<![\w.&*])(saml_sso_[a-z0-9_]+)', handle.read()))
    assert used - NOT_INPUTS - set(options) == set()
    assert set(options) - used == set(), 'declared but never used'


def test_docs_variables_table_is_generated_from_the_specs():
    proc = subprocess.run([PYTHON, os.path.join(REPO, 'tools', 'role_vars_table.py'), '--check',
                           os.path.join(REPO, 'docs', 'role.md')], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(REPO, 'docs', 'role.md'), encoding='utf-8') as handle:
        text = handle.read()
    _, options = _options()
    for name in options:
        assert '`%s`' % name in text, name


def test_ansible_doc_shows_the_role():
    proc = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', 'genesyscloud.sso.saml_sso'],
                          capture_output=True, text=True, env=base_env(), check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for text in ('saml_sso_provider', 'saml_sso_preserved_clients'):
        assert text in proc.stdout, text
    assert sorted(re.findall(r'ENTRY POINT: \W*(\w+)', proc.stdout)) == ['audit', 'main', 'report']
