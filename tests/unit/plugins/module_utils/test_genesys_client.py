# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the Genesys client: HTTP layer replaced by a scripted fake session."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import email.utils
import time

import pytest
import requests

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_client as gc
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import (
    REGIONS, GenesysClient, GenesysError, backoff_delay, parse_retry_after, resolve_region, to_module_fail)
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse, FakeSession


TOKEN_OK = FakeResponse(200, {'access_token': 'tok-1', 'token_type': 'bearer', 'expires_in': 86400})
TOKEN_OK2 = FakeResponse(200, {'access_token': 'tok-2', 'token_type': 'bearer', 'expires_in': 600})

BASE = dict(api_url='https://api.example.test', client_id='cid', client_secret='s3cret', retries=3, timeout=5)


def make(script, warnings=None, **params):
    p = dict(BASE)
    p.update(params)
    sleeps = []
    session = FakeSession(script)
    client = GenesysClient(p, warn=(warnings.append if warnings is not None else None), sleep=sleeps.append,
                           session=session)
    return client, session, sleeps


# ---------------------------------------------------------------- regions
@pytest.mark.parametrize('key,domain', sorted(REGIONS.items()))
def test_every_region_both_spellings(key, domain):
    assert resolve_region(key) == domain
    assert resolve_region(key.replace('-', '_')) == domain
    assert resolve_region(key.upper().replace('-', '_')) == domain
    assert resolve_region(domain) == domain


def test_region_table_is_the_reference():
    assert len(REGIONS) == 18
    assert REGIONS['us-east-1'] == 'mypurecloud.com'
    assert REGIONS['eu-west-1'] == 'mypurecloud.ie'
    assert REGIONS['eusc-de-east-1'] == 'edee1.eusc-pure.cloud'
    assert REGIONS['ap-southeast-2'] == 'mypurecloud.com.au'


def test_unknown_region_lists_valid_ones():
    with pytest.raises(GenesysError) as err:
        resolve_region('mars-north-1')
    text = err.value.describe()
    assert 'mars-north-1' in text
    for key in REGIONS:
        assert key in text


def test_region_urls():
    c = GenesysClient(dict(region='eu_west_1', client_id='a', client_secret='b'), session=FakeSession([]))
    assert c.api_url == 'https://api.mypurecloud.ie'
    assert c.login_url == 'https://login.mypurecloud.ie'
    assert c.domain == 'mypurecloud.ie'


def test_api_url_derives_login_url():
    c = GenesysClient(dict(api_url='https://api.mypurecloud.de/', client_id='a', client_secret='b'), session=FakeSession([]))
    assert c.api_url == 'https://api.mypurecloud.de'
    assert c.login_url == 'https://login.mypurecloud.de'
    assert c.domain is None
    c = GenesysClient(dict(api_url='https://127.0.0.1:8443', client_id='a', client_secret='b'), session=FakeSession([]))
    assert c.login_url == 'https://127.0.0.1:8443'
    c = GenesysClient(dict(api_url='https://127.0.0.1:1', login_url='https://127.0.0.1:2', client_id='a',
                           client_secret='b'), session=FakeSession([]))
    assert (c.api_url, c.login_url) == ('https://127.0.0.1:1', 'https://127.0.0.1:2')


def test_no_region_no_url_fails_before_any_request():
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(client_id='a', client_secret='b'), session=FakeSession([]))
    assert 'region' in str(err.value) and 'api_url' in str(err.value)


def test_missing_credentials_named():
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(api_url='https://x.test', client_id='a'), session=FakeSession([]))
    assert 'client_secret' in str(err.value)
    with pytest.raises(GenesysError) as err:
        GenesysClient(dict(BASE, grant_type='saml2_bearer', assertion='x'), session=FakeSession([]))
    assert 'org_name' in str(err.value)


# ---------------------------------------------------------------- grants
def test_client_credentials_grant_basic_auth_no_scope_and_lazy_once():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(200, {'id': 'org'}), FakeResponse(200, {'id': 'org'})])
    assert s.calls == []  # lazy
    assert c.get('/api/v2/organizations/me') == (200, {'id': 'org'})
    c.get('/api/v2/organizations/me')
    tok = s.calls[0]
    assert tok['url'] == 'https://login.example.test/oauth/token'
    assert tok['data'] == {'grant_type': 'client_credentials'}
    assert tok['headers']['Authorization'] == 'Basic ' + base64.b64encode(b'cid:s3cret').decode()
    assert tok['headers']['Content-Type'] == 'application/x-www-form-urlencoded'
    assert s.calls[1]['headers']['Authorization'] == 'Bearer tok-1'
    assert s.calls[1]['timeout'] == 5.0
    assert c.request_count == 3 and c.token_count == 1
    info = c.get_token()
    assert info['expires_in'] == 86400 and info['expires_at'].endswith('Z')


def test_password_and_saml2_grant_fields():
    c, s, dummy_z = make([TOKEN_OK], grant_type='password', username='u@x', password='pw')
    c.get_token()
    assert s.calls[0]['data'] == {'grant_type': 'password', 'username': 'u@x', 'password': 'pw'}
    c, s, dummy_z = make([TOKEN_OK], grant_type='saml2_bearer', assertion='PHNhbWw+', org_name='acme')
    c.get_token()
    assert s.calls[0]['data'] == {'grant_type': 'urn:ietf:params:oauth:grant-type:saml2-bearer',
                                  'orgName': 'acme', 'assertion': 'PHNhbWw+'}
    assert s.calls[0]['headers']['Authorization'].startswith('Basic ')


def test_given_token_sends_no_grant():
    c, s, dummy_z = make([FakeResponse(200, {'ok': 1})], access_token='given', client_id=None, client_secret=None)
    assert c.get('/api/v2/tokens/me') == (200, {'ok': 1})
    assert len(s.calls) == 1 and s.calls[0]['headers']['Authorization'] == 'Bearer given'


# ---------------------------------------------------------------- token errors
def test_invalid_client_message():
    c, s, dummy_z = make([FakeResponse(401, {'error': 'invalid_client', 'description': 'authentication failed',
                                       'error_description': 'authentication failed'})])
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/organizations/me')
    text = err.value.describe()
    assert err.value.code == 'invalid_client'
    assert 'client ID or secret is not valid' in text
    assert 's3cret' not in text
    assert len(s.calls) == 1


def test_disabled_client_and_unsupported_grant_messages():
    c, dummy_s, dummy_z = make([FakeResponse(400, {'error': 'invalid_client', 'error_description': 'client is disabled'})])
    with pytest.raises(GenesysError) as err:
        c.get_token()
    assert 'disabled' in str(err.value) and 'state to active' in str(err.value)
    c, dummy_s, dummy_z = make([FakeResponse(400, {'error': 'unsupported_grant_type', 'error_description': 'nope'})])
    with pytest.raises(GenesysError) as err:
        c.get_token()
    assert 'not allowed to use this grant type' in str(err.value)


def test_token_rate_limit_400_retried_with_backoff():
    rl = FakeResponse(400, {'error': 'invalid_request', 'error_description': 'rate limit exceeded; try later'})
    warnings = []
    c, s, sleeps = make([rl, rl, TOKEN_OK], warnings)
    assert c.get_token()['access_token'] == 'tok-1'
    assert len(sleeps) == 2 and all(0 < d <= 1.0 for d in sleeps)
    assert len(warnings) == 2 and 'rate limit' in warnings[0] and '/oauth/token' in warnings[0]
    c, s, sleeps = make([rl] * 4, [])
    with pytest.raises(GenesysError) as err:
        c.get_token()
    assert 'rate limited' in str(err.value) and len(s.calls) == 4


# ---------------------------------------------------------------- retry decisions
def test_retry_after_parsing_seconds_and_date():
    assert parse_retry_after('3') == 3.0
    assert parse_retry_after(' 2.5 ') == 2.5
    assert parse_retry_after('600') == gc.RETRY_AFTER_CAP
    assert parse_retry_after('-4') == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after('soon') is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(7, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after(email.utils.formatdate(now + 3600, usegmt=True), now=now) == gc.RETRY_AFTER_CAP


def test_backoff_bounds_and_growth():
    class R:
        def __init__(self, v):
            self.v = v

        def uniform(self, a, b):
            return a + (b - a) * self.v
    assert backoff_delay(1, R(0)) == 0.25 and backoff_delay(1, R(1)) == 0.5
    assert backoff_delay(3, R(1)) == 2.0
    assert backoff_delay(20, R(1)) == gc.BACKOFF_CAP
    assert backoff_delay(20, R(0)) == gc.BACKOFF_CAP / 2


def test_429_honours_retry_after_and_warns_per_retry():
    warnings = []
    c, s, sleeps = make([TOKEN_OK, FakeResponse(429, {'code': 'too.many.requests'}, {'Retry-After': '2'}),
                         FakeResponse(503, text='<html/>'), FakeResponse(200, {'ok': True})], warnings)
    assert c.get('/api/v2/identityproviders') == (200, {'ok': True})
    assert sleeps[0] == 2.0 and 0.25 <= sleeps[1] <= 1.0
    assert c.retry_count == 2 and c.request_count == 4
    assert len(warnings) == 2
    assert 'HTTP 429' in warnings[0] and '/api/v2/identityproviders' in warnings[0] and 'retry 1 of 3' in warnings[0]
    assert 'HTTP 503' in warnings[1] and 'retry 2 of 3' in warnings[1]


def test_retries_bounded_then_429_error_names_client():
    r429 = FakeResponse(429, {'code': 'too.many.requests', 'message': 'Rate limit exceeded'}, {'Retry-After': '1',
                                                                                               'ININ-Correlation-Id': 'corr-9'})
    c, s, sleeps = make([TOKEN_OK] + [r429] * 4)
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/identityproviders')
    assert len(s.calls) == 5 and len(sleeps) == 3
    e = err.value
    expected = (429, 'too.many.requests', 'corr-9', 'GET', '/api/v2/identityproviders')
    assert (e.status, e.code, e.correlation_id, e.method, e.path) == expected
    assert 'rate limit' in e.describe() and 'cid' in e.describe() and 'after 3 retries' in e.describe()


def test_retries_zero_disables():
    c, s, sleeps = make([TOKEN_OK, FakeResponse(503, {'code': 'service.unavailable'})], retries=0)
    with pytest.raises(GenesysError):
        c.get('/api/v2/x')
    assert sleeps == [] and len(s.calls) == 2


def test_post_not_retried_on_503_or_reset_but_on_429_and_refused():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(503, {'code': 'service.unavailable'})])
    with pytest.raises(GenesysError) as err:
        c.post('/api/v2/identityproviders', {'name': 'x'})
    assert err.value.status == 503 and len(s.calls) == 2

    reset = requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer'))
    c, s, dummy_z = make([TOKEN_OK, reset])
    with pytest.raises(GenesysError) as err:
        c.post('/api/v2/identityproviders', {'name': 'x'})
    assert len(s.calls) == 2 and 'not repeated' in str(err.value)

    c, s, dummy_z = make([TOKEN_OK, FakeResponse(429, {}, {'Retry-After': '0'}), FakeResponse(200, {'id': 'n'})])
    assert c.post('/api/v2/identityproviders', {'name': 'x'}) == (200, {'id': 'n'})

    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, 'Connection refused'))
    c, s, dummy_z = make([TOKEN_OK, refused, requests.exceptions.ConnectTimeout('ct'), FakeResponse(200, {'id': 'n'})])
    assert c.post('/api/v2/identityproviders', {'name': 'x'}) == (200, {'id': 'n'})
    assert c.retry_count == 2


def test_get_retried_on_reset_and_read_timeout():
    reset = requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer'))
    warnings = []
    c, s, dummy_z = make([TOKEN_OK, reset, requests.exceptions.ReadTimeout('rt'), FakeResponse(200, [])], warnings)
    assert c.get('/api/v2/identityproviders') == (200, [])
    assert 'reset' in warnings[0] and 'time-out' in warnings[1]


def test_tls_error_not_retried():
    c, s, dummy_z = make([requests.exceptions.SSLError('certificate verify failed')])
    with pytest.raises(GenesysError) as err:
        c.get_token()
    assert err.value.code == 'tls.error' and 'ca_path' in str(err.value) and len(s.calls) == 1


# ---------------------------------------------------------------- re-auth on 401
def test_401_reauth_and_replay_once():
    r401 = FakeResponse(401, {'code': 'bad.credentials', 'message': 'Invalid login credentials.'})
    warnings = []
    c, s, dummy_z = make([TOKEN_OK, r401, TOKEN_OK2, FakeResponse(200, {'ok': 1})], warnings)
    assert c.get('/api/v2/tokens/me') == (200, {'ok': 1})
    assert s.calls[3]['headers']['Authorization'] == 'Bearer tok-2'
    assert c.token_count == 2 and any('401' in w for w in warnings)
    # second 401 after the replay is an error
    c, s, dummy_z = make([TOKEN_OK, r401, TOKEN_OK2, r401])
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/tokens/me')
    assert err.value.status == 401 and len(s.calls) == 4


def test_401_with_bare_token_not_replayed():
    r401 = FakeResponse(401, {'code': 'bad.credentials', 'message': 'Invalid login credentials.'})
    c, s, dummy_z = make([r401], access_token='old', client_id=None, client_secret=None)
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/tokens/me')
    assert len(s.calls) == 1 and 'expired' in str(err.value) and 'genesys_token' in str(err.value)
    # token plus credentials: re-auth through client credentials
    c, s, dummy_z = make([r401, TOKEN_OK, FakeResponse(200, {})], access_token='old')
    assert c.get('/api/v2/tokens/me') == (200, {})
    assert s.calls[1]['data'] == {'grant_type': 'client_credentials'}
    assert s.calls[2]['headers']['Authorization'] == 'Bearer tok-1'


# ---------------------------------------------------------------- error translation
def test_403_names_permission_and_where_to_grant():
    body = {'status': 403, 'code': 'missing.any.permissions', 'contextId': 'ctx-1',
            'message': 'Unable to perform the requested action. You must have at least one of the following '
                       'permissions assigned: [sso:provider:edit, sso:provider:add]'}
    c, dummy_s, dummy_z = make([TOKEN_OK, FakeResponse(403, body)])
    with pytest.raises(GenesysError) as err:
        c.put('/api/v2/identityproviders/okta', {})
    e = err.value
    assert e.correlation_id == 'ctx-1' and e.code == 'missing.any.permissions'
    assert e.missing_permission() == 'sso:provider:edit'
    text = e.describe()
    assert 'sso:provider:edit' in text and 'Roles' in text and 'OAuth' in text and 'PUT /api/v2/identityproviders/okta' in text


def test_404_and_expect_404():
    nf = FakeResponse(404, {'status': 404, 'code': 'not.found', 'message': 'gone'}, {'ININ-Correlation-Id': 'h-1'})
    c, dummy_s, dummy_z = make([TOKEN_OK, nf, nf])
    assert c.get('/api/v2/identityproviders/okta', expect_404=True) == (404, None)
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/identityproviders/okta')
    assert err.value.status == 404 and err.value.correlation_id == 'h-1'
    assert 'does not exist' in err.value.describe()
    fail = to_module_fail(err.value)
    assert fail.msg == err.value.describe() and fail.extra['status'] == 404


def test_query_and_body_passed():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(200, {})])
    c.put('/api/v2/x', {'a': 1}, query={'q': 'v'})
    assert s.calls[1]['json'] == {'a': 1} and s.calls[1]['params'] == {'q': 'v'}


def test_validate_certs_false_warns_and_ca_path_used():
    warnings = []
    c, s, dummy_z = make([TOKEN_OK], warnings, validate_certs=False)
    c.get_token()
    assert s.calls[0]['verify'] is False and any('validate_certs' in w for w in warnings)
    c, s, dummy_z = make([TOKEN_OK], None, ca_path='/tmp/ca.pem')
    c.get_token()
    assert s.calls[0]['verify'] == '/tmp/ca.pem'
    c, s, dummy_z = make([TOKEN_OK], None)
    c.get_token()
    assert s.calls[0]['verify'] is True and not warnings[1:]


def test_real_session_proxies_from_env_and_connection_refused(monkeypatch):
    # a real requests.Session against a closed port: refused -> retried (never sent) -> connection error
    import socket
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    sleeps = []
    c = GenesysClient(dict(api_url='https://127.0.0.1:%d' % port, client_id='a', client_secret='b', retries=2,
                           timeout=2), sleep=sleeps.append)
    assert c.session.trust_env is True
    started = time.time()
    with pytest.raises(GenesysError) as err:
        c.post('/api/v2/x', {})
    assert time.time() - started < 5
    assert err.value.code == 'connection.error' and len(sleeps) == 2 and c.request_count == 3


# ---------------------------------------------------------------- redirects (issue 13 B7)
def test_no_request_follows_redirects():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(200, {'id': 'x'})])
    c.get('/api/v2/organizations/me')
    assert [call['allow_redirects'] for call in s.calls] == [False, False]
    assert s.calls[0]['url'].endswith('/oauth/token')


@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_redirect_on_the_token_post_is_refused_naming_status_and_host(status):
    location = 'http://user:pw@evil.example:8080/oauth/token?username=u&password=p#frag'
    c, s, dummy_z = make([FakeResponse(status, headers={'Location': location})], grant_type=None)
    with pytest.raises(GenesysError) as err:
        c.get_token()
    text = err.value.describe()
    assert err.value.code == 'redirect.refused' and err.value.status == status
    assert 'HTTP %d' % status in text and 'http://evil.example:8080' in text
    assert 'does not redirect' in text and 'api_url' in text and 'proxy' in text.lower()
    for leak in ('user:pw', 'password=p', '/oauth/token?', 'frag', 's3cret'):
        assert leak not in text
    assert len(s.calls) == 1  # neither followed nor retried


def test_redirect_on_an_api_call_is_refused_and_not_retried():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(307, headers={'Location': 'https://other.example/api/v2/x?token=t'})])
    with pytest.raises(GenesysError) as err:
        c.put('/api/v2/identityproviders/okta', {'name': 'x'})
    assert err.value.code == 'redirect.refused' and 'https://other.example' in str(err.value)
    assert 'token=t' not in str(err.value) and len(s.calls) == 2


def test_redirect_without_location_is_refused():
    c, s, dummy_z = make([TOKEN_OK, FakeResponse(302)])
    with pytest.raises(GenesysError) as err:
        c.get('/api/v2/organizations/me')
    assert err.value.code == 'redirect.refused' and 'no Location header' in str(err.value)
