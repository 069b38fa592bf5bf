# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider core as a map (params -> request -> reader -> change -> result) and its structure: the result keys
of the keycloak model (existed, proposed, end_state) on every path, the org short name given either as
org_short_name or as the saml2_bearer grant's org_name, and the size limits of the decomposed files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi

MODULE_UTILS = os.path.join(os.path.dirname(os.path.abspath(idp_core.__file__)))
PROVIDER_FILES = sorted(glob.glob(os.path.join(MODULE_UTILS, '_genesys_provider_*.py'))) + [
    os.path.join(MODULE_UTILS, '_genesys_identity_provider_core.py')]
ORG_PATH = '/api/v2/organizations/me'
OKTA = dict(type='okta', issuer_uri='urn:okta', sso_target_uri='https://acme.okta.com/sso')


def params(tmp_path, **kw):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s', backup_dir=str(tmp_path / 'b'),
             lock_dir=str(tmp_path / 'l'))
    p.update(kw)
    return p


def run(api, tmp_path, check=False, **kw):
    return idp_core.core(params(tmp_path, **kw), RunContext(check_mode=check, diff_mode=True), client=api)


def org_reads(api):
    return [e for e in api.log if e[1] == ORG_PATH]


# ------------------------------------------------------------------ result keys of every path

@pytest.mark.parametrize('check', [False, True], ids=['real', 'check'])
def test_create_update_converged_delete_carry_existed_proposed_end_state(tmp_path, check):
    api = FakeIdpApi()
    created = run(api, tmp_path, check=check, org_short_name='acme-prod', **OKTA)
    assert created['changed'] and created['existed'] is False
    assert created['proposed']['issuer_uri'] == 'urn:okta' and created['proposed'] == created['diff']['after']
    if check:
        assert api.writes() == [] and created['end_state'] == {}
        return
    assert created['end_state']['issuer_uri'] == 'urn:okta' and created['verified'] is True
    converged = run(api, tmp_path, org_short_name='acme-prod', **OKTA)
    assert (converged['changed'], converged['existed'], converged['proposed']) == (False, True, {})
    assert converged['end_state'] == created['end_state']
    gone = run(api, tmp_path, type='okta', state='absent', force=True, org_short_name='acme-prod')
    assert (gone['changed'], gone['existed'], gone['proposed'], gone['end_state']) == (True, True, {}, {})
    assert gone['diff']['after'] == {}


# ------------------------------------------------------------------ org_short_name and org_name are one fact

def test_org_name_serves_as_the_org_short_name_without_a_request(tmp_path):
    api = FakeIdpApi()
    result = run(api, tmp_path, org_name='acme-prod', backup=True, **OKTA)
    assert result['changed'] and org_reads(api) == []   # lock key, backup name and SP values from org_name
    assert os.path.basename(result['backup_file']).startswith('acme-prod_okta_')
    assert result['service_provider']['organization_short_name'] == 'acme-prod'
    assert result['organization']['short_name'] == 'acme-prod'


def test_org_name_and_org_short_name_must_agree(tmp_path):
    api = FakeIdpApi()
    with pytest.raises(GenesysModuleFail) as info:
        run(api, tmp_path, org_name='acme-prod', org_short_name='acme-test', **OKTA)
    assert 'org_short_name' in info.value.msg and 'org_name' in info.value.msg
    assert info.value.extra['failed_step'] == 'input' and api.log == []
    same = run(FakeIdpApi(), tmp_path, org_name='acme-prod', org_short_name='acme-prod', **OKTA)
    assert same['changed']


def test_without_either_the_org_is_read_once_for_a_change(tmp_path):
    api = FakeIdpApi()
    run(api, tmp_path, backup=True, **OKTA)
    assert len(org_reads(api)) == 1


# ------------------------------------------------------------------ structure

def _functions(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in node.args.args + node.args.kwonlyargs if a.arg not in ('self', 'cls')]
            yield node.name, node.end_lineno - node.lineno + 1, len(params)


# the two lockout-guard predicates of the domain take the listing, the target and its states, and the per-type ids
MORE_PARAMS = {'lockout_check': 7, 'org_has_sign_in': 7}


@pytest.mark.parametrize('path', PROVIDER_FILES, ids=os.path.basename)
def test_no_function_longer_than_60_lines_or_with_more_than_6_parameters(path):
    for name, length, count in _functions(path):
        assert length <= 60, '%s is %d lines long' % (name, length)
        assert count <= MORE_PARAMS.get(name, 6), '%s takes %d parameters' % (name, count)


@pytest.mark.parametrize('path', PROVIDER_FILES + [os.path.join(MODULE_UTILS, '_genesys_txn.py')], ids=os.path.basename)
def test_every_internal_file_says_it_is_internal(path):
    doc = ast.get_docstring(ast.parse(open(path).read())) or ''
    assert doc.startswith('Internal to genesyscloud.sso (not a public API)'), doc[:80]


def test_the_core_only_maps():
    tree = ast.parse(open(os.path.join(MODULE_UTILS, '_genesys_identity_provider_core.py')).read())
    defined = sorted(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    assert defined == ['_run', '_spec_options', 'core']


# ------------------------------------------------------------------ the one https URL validator

@pytest.mark.parametrize('url, ok', [
    ('https://idp.example/sso', True), ('HTTPS://idp.example/sso', True), ('https://idp.example:8443/a?b=c#d', True),
    ('https://idp.example:99999/sso', False), ('https://[::1/sso', False), (' https://idp.example/sso', False),
    ('https://idp.example/sso ', False), ('http://idp.example/sso', False), ('https:///sso', False),
    ('javascript:alert(1)', False), ('https://user@idp.example/', False),
])
def test_url_options_go_through_the_transport_validator(url, ok):
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
    if ok:
        idp.validate_option_strings(dict(sso_target_uri=url, slo_uri=url, metadata_url=url))
    else:
        with pytest.raises(idp.IdpError):
            idp.validate_option_strings(dict(sso_target_uri=url))


def test_the_domain_has_no_url_validator_of_its_own(monkeypatch):
    from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
    seen = []
    monkeypatch.setattr(idp, 'check_https_url', lambda url, **kw: seen.append((url, kw)) or url)
    idp.validate_option_strings(dict(slo_uri='https://idp.example/slo'))
    assert seen == [('https://idp.example/slo', dict(userinfo=False))]


def test_no_platform_path_outside_the_facade_but_the_domains_provider_base():
    # every request goes through _genesys_api; the provider paths are built (and their ids checked) by the domain's
    # provider_path from its one API_BASE, which the facade uses too
    for path in PROVIDER_FILES:
        tree = ast.parse(open(path).read())
        literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    and n.value.startswith('/api/')]
        want = ['/api/v2/identityproviders'] if path.endswith('_genesys_provider_model.py') else []
        assert literals == want, (os.path.basename(path), literals)


# ------------------------------------------------------------------ the org from the admin client's own check

ACME = dict(id='5f0e0c2a-0000-4000-8000-00000000a0c1', name='Acme', short_name='acme-prod')


def _checked(monkeypatch, org='acme', passed=True):
    org = ACME if org == 'acme' else org

    def fake_check(params, target, ctx):
        return dict(client_id=target['client_id'], name=target['name'], passed=passed, unreachable=False,
                    checks=[dict(name='token', passed=passed, detail='ok' if passed else 'HTTP 401')],
                    organization=dict(org) if org else None, client=None, roles=[], probes=[])
    monkeypatch.setattr(idp_core, 'check_client', fake_check)


def _client(client_id):
    return [dict(client_id=client_id, client_secret='secret-of-%s' % client_id, name=None, probe_paths=None,
                 expect=None)]


def test_the_admin_clients_own_check_answers_the_org(tmp_path, monkeypatch):
    _checked(monkeypatch)
    api = FakeIdpApi()
    api.client_id = 'c'    # the admin client of params() is also the preserved client
    result = run(api, tmp_path, backup=True, preserved_clients=_client('c'), **OKTA)
    assert result['changed'] and org_reads(api) == []
    assert os.path.basename(result['backup_file']).startswith('acme-prod_okta_')
    assert idp_core.load_backup(result['backup_file'])['organization'] == dict(short_name='acme-prod', id=ACME['id'])
    assert result['organization'] == ACME


@pytest.mark.parametrize('case', ['another client', 'no short name', 'no id', 'admin without client id'])
def test_another_clients_org_never_becomes_this_orgs(tmp_path, monkeypatch, case):
    # the preserved client is of this org (the id the fake's GET /organizations/me answers: a client of another org
    # stops the change, test_genesys_idp_txn.py), yet its answer is never adopted as the org: the admin reads its own
    same = dict(ACME, id='org-id-1')
    org = dict(same, short_name=None) if case == 'no short name' else dict(same, id=None) if case == 'no id' else same
    _checked(monkeypatch, org=org)
    api = FakeIdpApi()
    api.client_id = None if case == 'admin without client id' else 'c'
    bot = 'reporting-bot' if case == 'another client' else 'c'
    run(api, tmp_path, backup=True, preserved_clients=_client(bot), **OKTA)
    assert len(org_reads(api)) == 1   # the admin's own GET of the organization


KEYCLOAK_MODEL = ('existed', 'proposed', 'end_state', 'verified', 'not_kept', 'dropped')


@pytest.mark.parametrize('check', [False, True], ids=['real', 'check'])
@pytest.mark.parametrize('args', [OKTA, dict(type='okta', state='absent')], ids=['present', 'absent'])
def test_every_path_carries_the_result_model(tmp_path, check, args):
    result = run(FakeIdpApi(), tmp_path, check=check, org_short_name='acme-prod', **args)
    assert [k for k in KEYCLOAK_MODEL if k not in result] == []
    assert isinstance(result['not_kept'], list) and isinstance(result['dropped'], list)
