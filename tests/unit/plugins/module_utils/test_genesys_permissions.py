# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode's permission preflight (issue 16 item 7) and the retiring of a refused write's backup.

The preflight runs through the public ``core()`` in check mode against the in-memory fake API, extended with
``GET /api/v2/tokens/me`` and ``GET /api/v2/authorization/roles/{id}`` in the shapes of the platform
(TokenInfo.OAuthClient.roleDivisions, DomainOrganizationRole.permissionPolicies).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_permissions as perms
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import FakeIdpApi, make_cert

ROLE = '3b7c0d1e-0000-4000-8000-0000000000a1'
OTHER_ROLE = '3b7c0d1e-0000-4000-8000-0000000000a2'
OKTA = dict(name='Okta', issuerURI='urn:old', ssoTargetURI='https://old.example/sso', disabled=False)


def policy(domain, entity, *actions):
    return dict(domain=domain, entityName=entity, policyName='%s-%s' % (domain, entity), actionSet=list(actions),
                allowConditions=False)


class Api(FakeIdpApi):
    """The fake API with the admin client's token info and roles (None: the role read answers 403)."""

    def __init__(self, roles=None, grant='CLIENT-CREDENTIALS', **kw):
        FakeIdpApi.__init__(self, **kw)
        self.roles = roles if roles is not None else {}
        self.grant = grant

    def _dispatch(self, method, path, body):
        if method == 'GET' and path == perms.TOKENS_ME:
            return 200, dict(organization=dict(id='org-id-1', name='Acme'), OAuthClient=dict(
                id='admin', authorizedGrantType=self.grant,
                roleDivisions=[dict(roleId=rid, divisionId='*') for rid in self.roles]))
        if method == 'GET' and path.startswith('/api/v2/authorization/roles/'):
            rid = path.rsplit('/', 1)[-1]
            if self.roles.get(rid) is None:
                raise self._error(403, 'missing.any.permissions', 'Unable to perform the requested action. You must '
                                  'have at least one of the following permissions assigned: [authorization:role:view]',
                                  method, path)
            return 200, dict(id=rid, name='Role %s' % rid[-2:], permissions=[], permissionPolicies=self.roles[rid])
        return FakeIdpApi._dispatch(self, method, path, body)


def params(**kw):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(dict(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s'))
    p.update(kw)
    return p


def okta(**kw):
    args = dict(type='okta', issuer_uri='urn:new', sso_target_uri='https://new.example/sso',
                certificates=[make_cert('okta-perm')])
    args.update(kw)
    return args


def check(api, **kw):
    ctx = RunContext(check_mode=True, diff_mode=True)
    return idp_core.core(params(**kw), ctx, client=api), ctx


def role_reads(api):
    return [e[1] for e in api.log if e[1] == perms.TOKENS_ME or e[1].startswith('/api/v2/authorization/roles/')]


def test_check_mode_fails_when_the_roles_lack_the_write_permission():
    api = Api(roles={ROLE: [policy('sso', 'provider', 'view')], OTHER_ROLE: [policy('analytics', '*', '*')]},
              providers={'okta': dict(OKTA)})
    with pytest.raises(GenesysModuleFail) as info:
        check(api, **okta())
    err = info.value
    assert 'lacks the permission sso:provider:add or sso:provider:edit' in err.msg
    assert 'real run would fail with 403 missing.any.permissions' in err.msg and 'Role a1, Role a2' in err.msg
    assert err.extra['failed_step'] == 'permissions'
    assert err.extra['permissions']['missing'] == ['sso:provider:add', 'sso:provider:edit']
    assert {'issuer_uri', 'sso_target_uri', 'certificates'} <= set(err.extra['changed_options'])   # the planned change
    assert api.writes() == []


def test_check_mode_passes_with_the_permission_wildcards_and_says_which_roles():
    for grants in ([policy('sso', 'provider', 'edit')], [policy('sso', 'provider', '*')], [policy('*', '*', '*')],
                   [policy('sso', '*', 'add')]):
        api = Api(roles={ROLE: grants}, providers={'okta': dict(OKTA)})
        result, ctx = check(api, **okta())
        assert result['changed'] is True and api.writes() == []
        assert result['permissions'] == dict(checked=True, needed=['sso:provider:add', 'sso:provider:edit'],
                                             roles=['Role a1'], missing=[]), grants
        assert not [w for w in ctx.warnings if 'permissions' in w]


def test_the_needed_permission_follows_the_planned_write():
    # custom provider created by POST: add only; edit does not create it
    api = Api(roles={ROLE: [policy('sso', 'provider', 'edit', 'view')]})
    with pytest.raises(GenesysModuleFail) as info:
        check(api, type='custom', name='Corp', issuer_uri='urn:corp', sso_target_uri='https://corp.example/sso',
              certificates=[make_cert('corp')])
    assert 'lacks the permission sso:provider:add,' in info.value.msg
    # deleting needs delete
    api = Api(roles={ROLE: [policy('sso', 'provider', 'add', 'edit')]}, providers={'okta': dict(OKTA)})
    with pytest.raises(GenesysModuleFail) as info:
        check(api, type='okta', state='absent', force=True)
    assert 'lacks the permission sso:provider:delete' in info.value.msg
    assert perms.required_permissions('PUT', True) == ['sso:provider:edit']
    assert perms.required_permissions(None, False) == []


def test_check_mode_says_it_could_not_check_when_the_roles_cannot_be_read():
    api = Api(roles={ROLE: None}, providers={'okta': dict(OKTA)})   # GET of the role: 403
    result, ctx = check(api, **okta())
    assert result['changed'] is True and result['permissions']['checked'] is False
    warned = [w for w in ctx.warnings if 'could not check the permissions' in w]
    assert len(warned) == 1, ctx.warnings
    assert 'HTTP 403 missing.any.permissions' in warned[0] and 'Authorization > Role > View' in warned[0]
    assert 'sso:provider:add or sso:provider:edit' in warned[0]

    user = Api(roles={ROLE: [policy('*', '*', '*')]}, grant='PASSWORD', providers={'okta': dict(OKTA)})
    result, ctx = check(user, **okta())
    assert 'not a client-credentials token (grant PASSWORD)' in result['permissions']['reason']
    assert any('could not check the permissions' in w for w in ctx.warnings)

    none = Api(roles={}, providers={'okta': dict(OKTA)})
    result, ctx = check(none, **okta())
    assert 'lists no roles' in result['permissions']['reason']


def test_no_permission_reads_without_a_change_or_outside_check_mode():
    api = Api(roles={ROLE: [policy('sso', 'provider', '*')]}, providers={'okta': dict(OKTA)})
    result, dummy = check(api, type='okta', issuer_uri='urn:old', sso_target_uri='https://old.example/sso')
    assert result['changed'] is False and role_reads(api) == []
    real = idp_core.core(params(**okta()), RunContext(check_mode=False, diff_mode=True), client=api)
    assert real['changed'] is True and role_reads(api) == []


def test_a_role_id_that_is_not_an_id_is_never_put_in_a_path():
    api = Api(roles={'../../oauth/clients': [policy('*', '*', '*')]}, providers={'okta': dict(OKTA)})
    result, ctx = check(api, **okta())
    assert 'not an id' in result['permissions']['reason']
    assert not [p for p in role_reads(api) if p.startswith('/api/v2/authorization/roles/')]


def test_policy_grants():
    assert perms.policy_grants(policy('sso', 'provider', 'edit'), 'sso:provider:edit')
    assert not perms.policy_grants(policy('sso', 'provider', 'view'), 'sso:provider:edit')
    assert not perms.policy_grants(policy('sso', 'other', '*'), 'sso:provider:edit')
    assert perms.policy_grants(dict(domain='sso', entityName='provider', actionSet='*'), 'sso:provider:add')
    assert not perms.policy_grants('sso:provider:*', 'sso:provider:add')


def test_retire_unused_backup_renames_and_marks_it(tmp_path):
    path = tmp_path / 'acme_okta_20261201T000000000000Z.json'
    path.write_text(json.dumps(dict(format='genesyscloud.sso/identity_provider_backup', provider=dict(name='Okta'))))
    os.chmod(str(path), 0o600)
    new = perms.retire_unused_backup(str(path), 'PUT answered 403 missing.any.permissions: nothing was changed')
    assert new == str(path) + '.not-applied' and not path.exists()
    assert sorted(p.name for p in tmp_path.glob('*.json')) == []
    doc = json.loads(open(new).read())
    assert doc['provider'] == dict(name='Okta') and 'nothing was changed' in doc['not_applied']['reason']
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o600
    assert perms.retire_unused_backup(str(path), 'again') is None
    broken = tmp_path / 'broken.json'
    broken.write_text('{not json')
    assert perms.retire_unused_backup(str(broken), 'refused') is None and not broken.exists()


def _client_of(monkeypatch, org):
    def fake_check(params, target, ctx):
        return dict(client_id=target['client_id'], name=target['name'], passed=True, checks=[], token_lifetime=None,
                    organization=dict(org), client=None, roles=[], probes=[])
    monkeypatch.setattr(idp_core, 'check_client', fake_check)


BOT = [dict(client_id='bot', client_secret='bot-secret-1a2b', name='reporting-bot', probe_paths=None, expect=None)]


def test_check_mode_predicts_the_stop_on_a_preserved_client_of_another_org(monkeypatch):
    # the dry run predicts the real run (which stops at clients_org before the write) from the same one GET of the
    # admin's tokens/me the permission prediction reads: no request of its own
    _client_of(monkeypatch, dict(id='org-id-2', name='Other', short_name='other-prod'))
    api = Api(roles={ROLE: [policy('sso', 'provider', '*')]}, providers={'okta': dict(OKTA)})
    with pytest.raises(GenesysModuleFail) as info:
        check(api, preserved_clients=BOT, **okta())
    assert info.value.extra['failed_step'] == 'clients_org' and 'belong to another org' in info.value.msg
    assert '(org ?, id org-id-1)' in info.value.msg   # the admin's tokens/me gives the id, not the short name
    assert api.writes() == [] and role_reads(api) == [perms.TOKENS_ME]


def test_check_mode_names_the_given_org_short_name_and_compares_by_id(monkeypatch):
    _client_of(monkeypatch, dict(id='org-id-2', name='Other', short_name='acme-prod'))   # same name, another org
    api = Api(roles={ROLE: [policy('sso', 'provider', '*')]}, providers={'okta': dict(OKTA)})
    with pytest.raises(GenesysModuleFail) as info:
        check(api, preserved_clients=BOT, org_short_name='acme-prod', **okta())
    assert info.value.extra['failed_step'] == 'clients_org'
    assert 'than the one this task changes (org acme-prod, id org-id-1)' in info.value.msg
    assert info.value.msg.endswith('own clients in preserved_clients.')   # the id is known: no org_short_name hint


def test_check_mode_reads_the_admin_token_info_once_for_the_org_and_the_permissions(monkeypatch):
    _client_of(monkeypatch, dict(id='org-id-1', name='Acme', short_name='acme-prod'))
    api = Api(roles={ROLE: [policy('sso', 'provider', '*')]}, providers={'okta': dict(OKTA)})
    result, ctx = check(api, preserved_clients=BOT, **okta())
    assert result['changed'] is True and result['permissions']['checked'] is True
    assert role_reads(api) == [perms.TOKENS_ME, '/api/v2/authorization/roles/' + ROLE]
