# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The saml_sso role's copies of the provider options held against their one source.

The source: the provider option table (module_utils/_genesys_provider_options.py) and the module SPECs built from it
and from the grant table. The role keeps three hand-written views of it, and this test holds all three:

* the suboptions of ``saml_sso_provider`` in meta/argument_specs.yml (name, type, elements, choices);
* the step-4 mapping (tasks/main.yml passes ``saml_sso_provider | sso_provider_options`` as the task's
  module_defaults: each key ``<x>`` becomes the module option ``<x>``);
* every ``choices:`` list of the role's argument specs (against the module option it is passed to).

A new option in the table without its role suboption and its step-4 line fails here (see
``test_a_new_table_option_without_its_role_mapping_fails``), as does a type or choice that drifted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_options as options_table
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_identity_provider_core import SPEC as IDP_SPEC
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_identity_provider_info_core import SPEC as INFO_SPEC
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import SPEC as CHECK_SPEC
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_token_core import SPEC as TOKEN_SPEC
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_role import provider_options

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'saml_sso')
STEP4 = 'genesyscloud.sso.genesys_identity_provider'
# the modules of the role's tasks: a top-level input saml_sso_<x> with choices is passed to their option <x>
ROLE_MODULE_SPECS = (IDP_SPEC, INFO_SPEC, CHECK_SPEC, TOKEN_SPEC)
COMPARED = ('type', 'elements', 'choices')


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def role_specs():
    return _load('meta', 'argument_specs.yml')['argument_specs']


def provider_suboptions(specs=None):
    return (specs or role_specs())['main']['options']['saml_sso_provider']['options']


def _tasks(items):
    for task in items or []:
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(key))


def step4_task(tasks=None):
    found = [t for t in _tasks(tasks if tasks is not None else _load('tasks', 'main.yml')) if STEP4 in t]
    assert len(found) == 1, 'exactly one step-4 task in tasks/main.yml'
    return found[0]


def _sample(option):
    return {'bool': False, 'list': ['x'], 'dict': {'x': 1}}.get(option.get('type'), 'x')


def step4_mapping(suboptions=None, tasks=None):
    """{module option: the saml_sso_provider key it comes from} of the step-4 task: its module_defaults are
    ``saml_sso_provider | sso_provider_options`` (keys are passed under their own names) and none of its own options
    reads saml_sso_provider (no hand-kept line beside the filter)."""
    suboptions = provider_suboptions() if suboptions is None else suboptions
    task = step4_task(tasks)
    assert task.get('module_defaults') == {STEP4: '{{ saml_sso_provider | genesyscloud.sso.sso_provider_options }}'}
    for option, value in task[STEP4].items():
        assert 'saml_sso_provider' not in str(value), option
    mapping = {}
    for key, option in suboptions.items():
        # one provider with only this key set (a value of its type): the option(s) it becomes
        produced = provider_options({key: _sample(option)})
        produced.pop('enabled', None) if key != 'enabled' else None
        assert len(produced) == 1, (key, produced)
        mapping[list(produced)[0]] = key
    return mapping


def _described(option):
    return dict((k, option.get(k)) for k in COMPARED if option.get(k) is not None)


def mismatches(table, module_spec, suboptions, mapping):
    """Every way the role's views differ from the table and the module SPEC (an empty list when they agree)."""
    problems = []
    module_options = module_spec['argument_spec']
    for row in table:
        if row.option not in suboptions:
            problems.append('table option %s is not a suboption of saml_sso_provider (meta/argument_specs.yml)'
                            % row.option)
        if mapping.get(row.option) != row.option:
            problems.append('table option %s is not passed by step 4 as saml_sso_provider.%s (sso_provider_options)'
                            % (row.option, row.option))
    for name, option in suboptions.items():
        if name not in module_options:
            problems.append('saml_sso_provider.%s is not an option of genesys_identity_provider' % name)
            continue
        if _described(option) != _described(module_options[name]):
            problems.append('saml_sso_provider.%s is %s in the role, %s in the module SPEC'
                            % (name, _described(option), _described(module_options[name])))
        if mapping.get(name) != name:
            problems.append('saml_sso_provider.%s is not passed by step 4 as the option %s' % (name, name))
    for option, key in mapping.items():
        if key is not None and key not in suboptions:
            problems.append('step 4 reads saml_sso_provider.%s, which is not a suboption' % key)
        if key is not None and key != option:
            problems.append('step 4 passes saml_sso_provider.%s as the option %s' % (key, option))
    return problems


def test_the_role_provider_views_agree_with_the_table_and_the_module_spec():
    assert mismatches(options_table.PROVIDER_OPTION_TABLE, IDP_SPEC, provider_suboptions(), step4_mapping()) == []


def test_the_role_type_choices_are_the_table_types():
    assert provider_suboptions()['type']['choices'] == list(options_table.ALL_TYPES)


def _choices(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'choices':
                yield path, value
            else:
                yield from _choices(value, path + (key,))


def test_every_choices_list_of_the_role_is_the_module_options():
    found = list(_choices(role_specs()))
    assert found, 'the role has choices lists'
    for path, choices in found:
        names = [p for p in path if p != 'options']
        entry, top, rest = names[0], names[1], names[2:]
        if top == 'saml_sso_provider':
            assert len(rest) == 1, path
            expected = [IDP_SPEC['argument_spec'][rest[0]].get('choices')]
        else:
            assert not rest and top.startswith('saml_sso_'), path
            option = top[len('saml_sso_'):]
            expected = [s['argument_spec'][option].get('choices') for s in ROLE_MODULE_SPECS
                        if option in s['argument_spec']]
        assert expected, '%s (entry point %s) is passed to no module option with choices' % (top, entry)
        for module_choices in expected:
            assert list(choices) == list(module_choices), (path, choices, module_choices)


def test_a_new_table_option_without_its_role_mapping_fails():
    """Proof that the first test guards the table: a row added to it alone (or a drifted type) is reported."""
    row = options_table.PROVIDER_OPTION_TABLE[0]
    added = row._replace(option='brand_new_option')
    spec = dict(IDP_SPEC, argument_spec=dict(IDP_SPEC['argument_spec'], brand_new_option=dict(type='str')))
    problems = mismatches(options_table.PROVIDER_OPTION_TABLE + (added,), spec, provider_suboptions(), step4_mapping())
    assert problems == ['table option brand_new_option is not a suboption of saml_sso_provider (meta/argument_specs.yml)',
                        'table option brand_new_option is not passed by step 4 as saml_sso_provider.brand_new_option '
                        '(sso_provider_options)']
    drifted = dict(provider_suboptions(), force_authn=dict(type='str'))
    assert mismatches(options_table.PROVIDER_OPTION_TABLE, IDP_SPEC, drifted, step4_mapping(drifted)) == [
        "saml_sso_provider.force_authn is {'type': 'str'} in the role, {'type': 'bool'} in the module SPEC"]
    # a suboption the module does not have
    extra = dict(provider_suboptions(), no_such_option=dict(type='str'))
    assert mismatches(options_table.PROVIDER_OPTION_TABLE, IDP_SPEC, extra, step4_mapping(extra)) == [
        'saml_sso_provider.no_such_option is not an option of genesys_identity_provider']
    # a hand-written step-4 line beside the filter
    tasks = _load('tasks', 'main.yml')
    step4_task(tasks)[STEP4]['issuer_uri'] = '{{ saml_sso_provider.sso_target_uri }}'
    with pytest.raises(AssertionError):
        step4_mapping(tasks=tasks)
    mapping = dict(step4_mapping(), issuer_uri='sso_target_uri')
    assert 'step 4 passes saml_sso_provider.sso_target_uri as the option issuer_uri' in mismatches(
        options_table.PROVIDER_OPTION_TABLE, IDP_SPEC, provider_suboptions(), mapping)
