# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport (_genesys_transport): the one https URL validator and its callers, the request stack the
metadata download shares with the API client, redirect refusal and replay accounting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest
import requests

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_metadata as md
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_transport as tr
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse

GOOD = ['https://idp.example.com', 'https://idp.example.com/x?y=1#f', '  https://idp.example.com/m\n',
        'HTTPS://IDP.example.com/m', 'https://[::1]:8443/m', 'https://127.0.0.1/m']

BAD = [
    ('', 'empty'), ('   ', 'empty'), (None, 'empty'),
    ('https://idp.exa mple.com/m', 'char'), ('https://idp.example.com/m\x00x', 'char'),
    ('https://idp.example.com/\r\nX: 1', 'char'), (u'https://idp.example.com/\u2028x', 'char'),
    (u'https://idp.example.com/\x85x', 'char'), ('https://idp.example.com/\x7fx', 'char'),
    ('https://[::1/x', 'authority'), ('https://idp.example.com:99999/x', 'authority'),
    ('https://idp.example.com:ab/x', 'authority'),
    ('http://idp.example.com/m', 'http'), ('HTTP://idp.example.com/m', 'http'),
    ('javascript:alert(1)', 'scheme'), ('data:text/html,x', 'scheme'), ('ftp://idp.example.com', 'scheme'),
    ('idp.example.com/m', 'scheme'), ('https:idp.example.com', 'scheme'), ('file:///etc/passwd', 'scheme'),
    ('https://', 'host'), ('https:///path', 'host'), ('https://user:pw@/x', 'host'),
]


@pytest.mark.parametrize('url', GOOD)
def test_validator_accepts_clean_https_urls(url):
    assert tr.check_https_url(url) == url.strip()


@pytest.mark.parametrize('url,kind', BAD)
def test_validator_refuses_with_a_kind(url, kind):
    with pytest.raises(tr.UrlProblem) as err:
        tr.check_https_url(url)
    assert err.value.kind == kind
    if kind == 'char':
        assert err.value.char and url[err.value.position - 1] == err.value.char


def test_validator_options():
    assert tr.check_https_url('https://u:p@idp.example.com/m') == 'https://u:p@idp.example.com/m'
    with pytest.raises(tr.UrlProblem) as err:
        tr.check_https_url('https://u:p@idp.example.com/m', userinfo=False)
    assert err.value.kind == 'userinfo'
    for url in ('https://api.example.com?x=1', 'https://api.example.com/#f', 'https://api.example.com/?'):
        with pytest.raises(tr.UrlProblem) as err:
            tr.check_https_url(url, base=True)
        assert err.value.kind == 'base'
    assert tr.check_https_url('https://api.example.com/base/', base=True) == 'https://api.example.com/base/'


@pytest.mark.parametrize('url,kind', [b for b in BAD if b[0] and b[0].strip()])
def test_every_caller_refuses_what_the_validator_refuses(monkeypatch, url, kind):
    """The API client (api_url, login_url) and the metadata download refuse the same URLs, before any request."""
    def boom(*args, **kwargs):
        raise AssertionError('no request may be sent')

    monkeypatch.setattr(requests.Session, 'request', boom)
    for option in ('api_url', 'login_url'):
        args = dict(api_url='https://api.example.test', client_id='a', client_secret='b')
        args[option] = url
        with pytest.raises(GenesysError) as err:
            GenesysClient(args).get_token()
        assert err.value.code == 'invalid.url' and option in err.value.describe()
    with pytest.raises(md.MetadataError):
        md.fetch_idp_metadata(url)


def test_client_base_urls():
    client = GenesysClient(dict(api_url='HTTPS://api.example.test/', client_id='a', client_secret='b'))
    assert client.api_url == 'https://api.example.test' and client.login_url == 'https://login.example.test'
    client.close()
    for url in ('https://u:p@api.example.test', 'https://api.example.test?x=1'):
        with pytest.raises(GenesysError) as err:
            GenesysClient(dict(api_url=url, client_id='a', client_secret='b'))
        assert 'is not an https URL' in err.value.describe() and 'p@' not in err.value.describe().replace(url, '')


class Session:
    def __init__(self, answers):
        self.headers = {}
        self.verify = None
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        pass


def test_transport_refuses_redirects_and_names_only_the_host():
    session = Session([FakeResponse(302, headers={'Location': 'https://evil.example:8443/steal?token=x'})])
    transport = tr.Transport(dict(retries=3), host='https://api.example.test', session=session)
    with pytest.raises(GenesysError) as err:
        transport.send('GET', 'https://api.example.test/api/v2/x', '/api/v2/x')
    text = err.value.describe()
    assert err.value.code == 'redirect.refused' and 'https://evil.example:8443' in text and 'steal' not in text
    assert len(session.calls) == 1 and session.calls[0][2]['allow_redirects'] is False


def test_transport_counts_unknown_attempts_of_writes_only():
    reset = requests.exceptions.ConnectionError('Connection aborted: RemoteDisconnected')
    session = Session([reset, FakeResponse(200, {}), reset, FakeResponse(200, {}), reset])
    sleeps = []
    transport = tr.Transport(dict(retries=2), session=session, sleep=sleeps.append)
    transport.send('PUT', 'https://api.example.test/a', '/a')
    assert transport.unknown_attempts == 1   # the PUT may have landed, then went again
    transport.send('GET', 'https://api.example.test/a', '/a')
    assert transport.unknown_attempts == 1   # a read is not a write
    with pytest.raises(GenesysError) as err:  # a POST that may have left is never repeated
        transport.send('POST', 'https://api.example.test/a', '/a')
    assert err.value.code == 'connection.error' and 'not repeated' in err.value.describe()
    assert transport.unknown_attempts == 1 and transport.request_count == 5 and transport.retry_count == 2


def test_transport_tls_settings():
    transport = tr.Transport(dict(ca_path='/tmp/ca.pem'), session=Session([FakeResponse(200, {})]))
    transport.send('GET', 'https://api.example.test/a', '/a')
    assert transport.session.calls[0][2]['verify'] == '/tmp/ca.pem' and transport.session.verify == '/tmp/ca.pem'
    warnings = []
    off = tr.Transport(dict(validate_certs=False), host='https://api.example.test', session=Session([]),
                       warn=warnings.append)
    assert off.verify is False and 'https://api.example.test' in warnings[0]


def test_metadata_download_uses_the_transport(monkeypatch):
    """The IdP metadata travels the client's stack: a requests session, TLS settings, no redirect followed."""
    seen = []

    class Raw:
        def __init__(self):
            self.data = [b'<md/>', b'']

        def read1(self, amt, decode_content=None):
            seen.append(('read', decode_content))
            return self.data.pop(0)

    def request(self, method, url, **kwargs):
        seen.append((method, url, kwargs['verify'], kwargs['allow_redirects'], kwargs['stream'],
                     kwargs['headers']['User-Agent']))
        if url.endswith('/moved'):
            return FakeResponse(302, headers={'Location': '/m.xml'})
        resp = FakeResponse(200)
        resp.raw = Raw()
        return resp

    monkeypatch.setattr(requests.Session, 'request', request)
    assert md.fetch_idp_metadata('https://idp.example.test/moved', ca_path='/tmp/ca.pem', timeout=5) == '<md/>'
    assert seen[:2] == [
        ('GET', 'https://idp.example.test/moved', '/tmp/ca.pem', False, True, md.METADATA_AGENT),
        ('GET', 'https://idp.example.test/m.xml', '/tmp/ca.pem', False, True, md.METADATA_AGENT)]
    assert ('read', True) in seen
