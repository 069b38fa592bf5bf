# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option table is the single source: the module SPEC, every ``choices:`` list, the domain's field maps and the
module DOCUMENTATION agree with it (a new option is one table row plus its docs)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_options as table
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_info_core as info_core
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_identity_provider as module
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_identity_provider_info as info_module

ROWS = table.PROVIDER_OPTION_TABLE


def _doc_options(mod):
    return yaml.safe_load(mod.DOCUMENTATION)['options']


def _spec_view(entry):
    return dict((k, entry.get(k)) for k in ('type', 'elements', 'choices', 'default') if entry.get(k) is not None)


def test_rows_are_unique_and_well_formed():
    assert len(set(r.option for r in ROWS)) == len(ROWS)
    assert len(set(r.field for r in ROWS)) == len(ROWS)
    for row in ROWS:
        assert row.type in ('str', 'bool', 'list', 'int', 'float', 'dict'), row
        assert (row.type == 'list') == bool(row.elements), row
        assert row.types and set(row.types) <= set(table.ALL_TYPES), row
        assert row.summary and row.summary.endswith('.'), row


def test_spec_provider_options_are_the_table():
    spec = idp_core.SPEC['argument_spec']
    for row in ROWS:
        assert _spec_view(spec[row.option]) == _spec_view(table.provider_option_spec()[row.option])
    assert spec['type']['choices'] == list(table.ALL_TYPES)
    assert spec['state']['choices'] == list(table.STATES)
    assert info_core.SPEC['argument_spec']['type']['choices'] == list(table.ALL_TYPES)
    assert idp.PROVIDER_OPTIONS == tuple(r.option for r in ROWS)


@pytest.mark.parametrize('mod, options', [
    (module, idp_core._spec_options),   # built afresh: the unit conftest patches settle_delay's default in SPEC
    (info_module, lambda: info_core.SPEC['argument_spec'])],
    ids=['genesys_identity_provider', 'genesys_identity_provider_info'])
def test_documentation_agrees_with_the_spec(mod, options):
    docs = _doc_options(mod)
    argspec = options()
    own = [name for name in argspec if name in docs]
    assert own, 'no documented option found'
    for name in own:
        doc = docs[name]
        want = _spec_view(argspec[name])
        got = dict((k, doc.get(k)) for k in ('type', 'elements', 'choices', 'default') if doc.get(k) is not None)
        if 'default' in want and isinstance(want['default'], float) and isinstance(got.get('default'), int):
            got['default'] = float(got['default'])
        assert got == want, name
    for row in ROWS:
        if mod is module:
            assert row.option in docs, 'provider option %s has no DOCUMENTATION entry' % row.option


def test_documentation_names_the_api_field():
    docs = _doc_options(module)
    for row in ROWS:
        if row.option == 'name':
            continue
        text = ' '.join(docs[row.option]['description'])
        assert 'C(%s)' % row.field in text, row.option


def test_type_fields_follow_the_table():
    for ptype in table.ALL_TYPES:
        fields = set(idp.TYPE_FIELDS[ptype])
        for row in ROWS:
            assert (row.field in fields) == (ptype in row.types), (ptype, row.option)
            assert idp.supports(ptype, row.option) == (ptype in row.types)
        assert ('certificate' in fields) == ('certificates' in fields)
    assert idp.BOOL_FIELDS == frozenset(r.field for r in ROWS if r.type == 'bool')
    assert idp.FIELD_TO_OPTION['certificate'] == 'certificates'


def test_option_rows_are_plain_data():
    rows = table.option_rows()
    assert [r['option'] for r in rows] == [r.option for r in ROWS]
    assert rows[0] == dict(option='name', field='name', type='str', elements=None, choices=None,
                           types=list(table.ALL_TYPES), summary=ROWS[0].summary)
    rows[0]['types'].append('nope')   # a copy: the table itself cannot be changed through it
    assert 'nope' not in ROWS[0].types


@pytest.mark.parametrize('value, urn', [
    ('HTTP-POST', table.BINDING_POST), ('post', table.BINDING_POST), ('  Http  Post ', table.BINDING_POST),
    (table.BINDING_POST, table.BINDING_POST), (table.BINDING_POST.lower(), table.BINDING_POST),
    ('HTTP-Redirect', table.BINDING_REDIRECT), ('redirect', table.BINDING_REDIRECT),
    ('http redirect', table.BINDING_REDIRECT), (table.BINDING_REDIRECT.upper(), table.BINDING_REDIRECT),
    ('artifact', None), ('HTTP-Artifact', None), ('', None), (None, None), ('post\x00', None),
    ('urn:oasis:names:tc:SAML:2.0:bindings:SOAP', None), ('postx', None),
])
def test_binding_urn(value, urn):
    assert table.binding_urn(value) == urn
    if urn is not None:
        assert idp.normalize_sso_binding(value) == urn


def test_the_domain_binding_table_is_the_table():
    assert idp.SSO_BINDINGS is table.SAML_BINDINGS
    assert dict(idp.SSO_BINDINGS) == dict(post=table.BINDING_POST, redirect=table.BINDING_REDIRECT)


def test_the_fake_keeps_its_own_tables_and_they_agree_with_the_model():
    # the in-memory fake is an oracle: its tables are literals (a drift either way fails here)
    from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils import genesys_idp_fake as fake
    import inspect
    imports = [line for line in inspect.getsource(fake).splitlines() if line.lstrip().startswith(('import ', 'from '))]
    assert not [line for line in imports if '_genesys_provider' in line], imports
    assert fake.PER_TYPE_TYPES == table.PER_TYPE_TYPES
    assert set(fake.TYPE_FIELDS) == set(table.ALL_TYPES)
    for ptype in table.ALL_TYPES:
        assert set(fake.TYPE_FIELDS[ptype]) == set(idp.TYPE_FIELDS[ptype]), ptype
    assert set(fake.SAML_FIELDS) == set(idp.SAML_FIELDS)
    assert fake.BASE == idp.API_BASE
