# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests written for the mutants of the transport safety code that survived ``make mutation`` (issue 13 E16).

Areas: the one https URL validator (``check_https_url``) and the base-URL check of the client
(``_check_base_url``, ``GenesysClient._resolve_urls``), the redirect refusal (``Transport.send``,
``Transport.redirect_error``) and the metadata stream
(``Transport.open_stream``).  Each test names the behaviour it pins; the mutants it kills are listed in
docs/mutation.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_transport as tr
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse, FakeSession

CREDS = dict(client_id='admin', client_secret='s3cret-value')


# ====================================================================== check_https_url: the refused URL

@pytest.mark.parametrize('url, kind, kwargs', [
    ('', 'empty', {}),
    ('   ', 'empty', {}),
    ('ftp://idp.example.com/m', 'scheme', {}),
    ('https:///path', 'host', {}),
    ('https://u:pw@api.example.com', 'userinfo', dict(userinfo=False)),
    ('https://api.example.com/?x=1', 'base', dict(base=True)),
])
def test_a_refusal_carries_the_refused_url(url, kind, kwargs):
    # the metadata download words its refusal from problem.url (masked): without it the message names no URL
    with pytest.raises(tr.UrlProblem) as err:
        tr.check_https_url(url, **kwargs)
    assert err.value.kind == kind
    assert err.value.url == url


def test_a_refusal_carries_the_stripped_url():
    with pytest.raises(tr.UrlProblem) as err:
        tr.check_https_url('  ftp://idp.example.com/m \n')
    assert err.value.kind == 'scheme' and err.value.url == 'ftp://idp.example.com/m'


@pytest.mark.parametrize('url', ['https://api.example.com/#', 'https://api.example.com#', 'https://api.example.com/x#'])
def test_a_base_url_with_an_empty_fragment_is_refused(url):
    # an empty fragment is not in parts.fragment: only the '#' test sees it (the paths appended to it would be lost)
    with pytest.raises(tr.UrlProblem) as err:
        tr.check_https_url(url, base=True)
    assert err.value.kind == 'base'
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(CREDS, api_url=url), session=FakeSession([])).get_token()
    assert err.value.code == 'invalid.url'


# ====================================================================== client: base URL check

@pytest.mark.parametrize('option', ['api_url', 'login_url'])
def test_a_refused_base_url_names_exactly_its_option(option):
    session = FakeSession([])
    args = dict(CREDS, api_url='https://api.example.test')
    args[option] = 'ftp://api.example.test'
    with pytest.raises(GenesysError) as err:
        GenesysClient(args, session=session).get_token()
    assert err.value.code == 'invalid.url' and session.calls == []
    assert err.value.message == "%s 'ftp://api.example.test' is not an https URL" % option


def test_a_bad_port_in_a_base_url_says_why():
    url = 'https://api.example.test:99999'
    with pytest.raises(tr.UrlProblem) as problem:
        tr.check_https_url(url, userinfo=False, base=True)
    detail = problem.value.detail
    assert problem.value.kind == 'authority' and detail
    session = FakeSession([])
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(CREDS, api_url=url), session=session).get_token()
    assert err.value.code == 'invalid.url' and session.calls == []
    assert err.value.message == "api_url %r is not an https URL (%s)" % (url, detail)


# ====================================================================== redirect refusal

@pytest.mark.parametrize('status', [300, 301, 307, 308, 399])
def test_every_3xx_is_refused_and_never_followed(status):
    session = FakeSession([FakeResponse(status, headers={'Location': 'https://evil.example/steal'}),
                           FakeResponse(200, {})])
    transport = tr.Transport(dict(retries=2), session=session)
    with pytest.raises(GenesysError) as err:
        transport.send('GET', 'https://api.example.test/api/v2/x', '/api/v2/x')
    assert err.value.code == 'redirect.refused' and err.value.status == status
    assert len(session.calls) == 1 and session.calls[0]['allow_redirects'] is False


@pytest.mark.parametrize('host', ['login', 'API'])
def test_send_names_the_host_that_redirected(host):
    session = FakeSession([FakeResponse(302, headers={'Location': 'https://evil.example/x'})])
    transport = tr.Transport({}, session=session)
    with pytest.raises(GenesysError) as err:
        transport.send('POST', 'https://login.example.test/oauth/token', '/oauth/token', host=host)
    assert err.value.message.startswith('the %s host answered with a redirect to https://evil.example;' % host)


def test_send_and_redirect_error_name_the_api_host_by_default():
    session = FakeSession([FakeResponse(302, headers={'Location': 'https://evil.example/x'})])
    transport = tr.Transport({}, session=session)
    with pytest.raises(GenesysError) as err:
        transport.send('GET', 'https://api.example.test/api/v2/x', '/api/v2/x')
    assert err.value.message.startswith('the API host answered')
    err = transport.redirect_error(FakeResponse(303, headers={'Location': 'https://evil.example/y'}), 'GET', '/a')
    assert err.message.startswith('the API host answered')


def test_the_token_request_redirect_names_the_login_host_and_sends_nothing_more():
    session = FakeSession([FakeResponse(302, headers={'Location': 'https://evil.example/steal'})])
    client = GenesysClient(dict(CREDS, api_url='https://api.example.test'), session=session)
    with pytest.raises(GenesysError) as err:
        client.get_token()
    assert err.value.code == 'redirect.refused' and len(session.calls) == 1
    assert err.value.message.startswith('the login host answered')


# ====================================================================== metadata stream

def test_open_stream_uses_the_transport_timeout_unless_given_one():
    session = FakeSession([FakeResponse(200, text='<md/>'), FakeResponse(200, text='<md/>')])
    transport = tr.Transport(dict(timeout=7), session=session)
    transport.open_stream('https://idp.example.test/m')
    transport.open_stream('https://idp.example.test/m', timeout=3)
    assert [call['timeout'] for call in session.calls] == [7.0, 3]
    assert all(call['allow_redirects'] is False and call['stream'] is True for call in session.calls)
    assert transport.request_count == 2
