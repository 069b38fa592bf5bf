# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API facade (_genesys_api): one shape of the organization, "Failed to <action>" with the advice, unknown
write outcomes returned (not raised), and the client built and closed in one place."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_api as api_mod
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import GenesysError


class Client:
    """A client stand-in: answers by (method, path); an exception answer is raised."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []
        self.closed = False

    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        self.calls.append((method, path, body, expect_404))
        answer = self.answers.get((method, path), (200, {}))
        if isinstance(answer, Exception):
            raise answer
        if answer[0] == 404 and not expect_404:
            raise GenesysError(status=404, code='not.found', message='no', method=method, path=path)
        return answer

    def close(self):
        self.closed = True


ORG = {'id': 'org-1', 'name': 'Acme', 'thirdPartyOrgName': 'acme', 'domain': 'x', 'features': {}}


def test_organization_has_one_shape():
    api = api_mod.GenesysApi(Client({('GET', api_mod.ORG_PATH): (200, ORG)}))
    assert api.organization() == dict(id='org-1', name='Acme', short_name='acme')
    assert api_mod.organization_dict(None) == dict(id=None, name=None, short_name=None)
    assert api_mod.organization_dict(ORG) == api.organization()


def test_failure_names_the_action_and_keeps_the_error():
    err = GenesysError(status=403, code='missing.any.permissions', message='needs sso:provider:view', method='GET',
                       path=api_mod.ORG_PATH, correlation_id='cid-1')
    api = api_mod.GenesysApi(Client({('GET', api_mod.ORG_PATH): err}))
    with pytest.raises(api_mod.ApiCallError) as exc:
        api.organization()
    assert isinstance(exc.value, GenesysModuleFail) and exc.value.error is err
    assert exc.value.msg.startswith('Failed to read the organization: GET /api/v2/organizations/me failed: HTTP 403')
    assert 'sso:provider:view' in exc.value.msg and exc.value.extra['correlation_id'] == 'cid-1'


@pytest.mark.parametrize('code,cause', [('invalid.target.url', 'not a valid https URL'),
                                        ('invalid.nameid.format', 'urn:oasis:names:tc:SAML'),
                                        ('request.conflict', 'someone else')])
def test_advice_of_the_provider_codes(code, cause):
    err = GenesysError(status=400, code=code, message='bad', method='PUT', path='/api/v2/identityproviders/okta',
                       correlation_id='c2')
    msg = api_mod.describe_api_error(err, 'update the okta identity provider')
    assert msg.startswith('Failed to update the okta identity provider: HTTP 400 %s - bad. Cause: ' % code)
    assert cause in msg and msg.endswith('Correlation id: c2.')


def test_limit_advice_names_the_domain_limit():
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import MAX_CUSTOM_PROVIDERS

    err = GenesysError(status=400, code='bad.request', message='too many providers', method='POST', path='/x')
    assert 'maximum of %d custom SSO providers' % MAX_CUSTOM_PROVIDERS in api_mod.describe_api_error(err, 'create x')


def test_unknown_write_outcome_is_returned_other_failures_raise():
    reset = GenesysError(code='connection.error', message='read time-out', method='POST', path='/p')
    refused = GenesysError(code='connection.error', message='connection refused', method='POST', path='/p')
    refused.never_sent = True
    api = api_mod.GenesysApi(Client({('POST', '/api/v2/identityproviders'): reset}))
    status, data, unknown = api.create_provider({'name': 'x'}, 'create the custom identity provider x')
    assert (status, data, unknown) == (None, None, reset)
    api = api_mod.GenesysApi(Client({('POST', '/api/v2/identityproviders'): refused}))
    with pytest.raises(api_mod.ApiCallError, match='^Failed to create the custom identity provider x'):
        api.create_provider({'name': 'x'}, 'create the custom identity provider x')
    # a read never returns an unknown outcome: it raises
    api = api_mod.GenesysApi(Client({('GET', api_mod.ORG_PATH): reset}))
    with pytest.raises(api_mod.ApiCallError):
        api.organization()


def test_provider_paths_come_from_the_domain():
    client = Client({('GET', '/api/v2/identityproviders/okta'): (404, None)})
    api = api_mod.GenesysApi(client)
    assert api.read_provider('okta') is None
    api.delete_provider('custom', 'a1b2c3', 'delete it')
    api.put_provider('gsuite', None, {'x': 1}, 'update it')
    assert [c[:2] for c in client.calls] == [('GET', '/api/v2/identityproviders/okta'),
                                             ('DELETE', '/api/v2/identityproviders/a1b2c3'),
                                             ('PUT', '/api/v2/identityproviders/gsuite')]
    assert client.calls[1][3] is True   # a delete answered 404 is "already gone"
    with pytest.raises(GenesysModuleFail):   # the domain refuses a bad id before any request
        api.read_provider('custom', '../tokens/me')
    assert len(client.calls) == 3


def test_listing_pages_and_non_dict_pages():
    first = {'entities': [{'id': 'a', 'name': 'A'}], 'pageNumber': 1, 'pageCount': 2,
             'nextUri': '/api/v2/identityproviders?pageNumber=2'}
    pages = {('GET', '/api/v2/identityproviders'): (200, first),
             ('GET', '/api/v2/identityproviders?pageNumber=2'): (200, ['not', 'a', 'page'])}
    seen = []
    entities = api_mod.GenesysApi(Client(pages)).list_providers(on_page=seen.append)
    assert [e['id'] for e in entities] == ['a'] and len(seen) == 2 and seen[1] == {}


def test_connect_builds_and_closes_the_client_in_one_place(monkeypatch):
    made = []

    def fake_client(params, warn=None, **kw):
        made.append(Client())
        return made[-1]

    monkeypatch.setattr(api_mod, 'GenesysClient', fake_client)
    ctx = RunContext()
    with api_mod.connect({}, ctx) as api:
        assert api.client is made[0] and not made[0].closed
    assert made[0].closed
    # a GenesysError the body did not handle (a token failure) is the task failure, and the client is closed
    with pytest.raises(GenesysModuleFail) as exc:
        with api_mod.connect({}, ctx):
            raise GenesysError(status=401, code='invalid_client', message='token request refused', method='POST',
                               path='/oauth/token')
    assert 'POST /oauth/token failed: HTTP 401' in exc.value.msg and made[1].closed
    # a setting error before any request: the task failure, nothing to close

    def refusing_client(params, warn=None, **kw):
        raise GenesysError(code='invalid.url', message='api_url is not an https URL')

    monkeypatch.setattr(api_mod, 'GenesysClient', refusing_client)
    with pytest.raises(GenesysModuleFail, match='api_url is not an https URL'):
        with api_mod.connect({}, ctx):
            raise AssertionError('not reached')
    # a given client is closed too
    given = Client()
    with api_mod.connect({}, ctx, client=given):
        pass
    assert given.closed
