# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one masker of both execution paths (issue 13 C10, C11, E16 b/d).

* every secret is masked in every form it can take (raw, URL-encoded, JSON-escaped, base64, HTTP Basic);
* Authorization values and Bearer/Basic credentials are masked in any text, prose is not;
* private-key blocks are removed from every result and invocation (action path and module path);
* the client registers every token it mints and masks every response body it copies into a message;
* a given access token is stripped, one with whitespace inside is refused before any request;
* TLS verification is on by default.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import urllib.parse

import pytest
import requests

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_common as common
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient, GenesysError
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    PRIVATE_KEY_MARKER, GenesysModuleFail, RunContext, SecretMasker, build_spec, run_module, scrub)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import GenesysActionBase
from ansible_collections.genesyscloud.sso.plugins.action import genesys_oauth_check as check_action
from ansible_collections.genesyscloud.sso.plugins.action import genesys_token as token_action
from ansible_collections.genesyscloud.sso.plugins.action import genesys_identity_provider as idp_action
from ansible_collections.genesyscloud.sso.plugins.action import genesys_identity_provider_info as info_action
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_oauth_check as check_module
from ansible_collections.genesyscloud.sso.plugins.modules import genesys_token as token_module
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import FakeResponse

SECRET = 'S3cr&t/pw+with spaces"quoted"'
TOKEN = 'Minted-Token_abc123XYZ'
KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVERYSECRETKEYMATERIAL'


def pem(label, body=KEY_BODY):
    return '-----BEGIN %s-----\n%s\n-----END %s-----\n' % (label, body, label)


CERT = pem('CERTIFICATE', 'MIIBszCCAVmgAwIBAgIUCERTIFICATEBODYISPUBLIC')


# ------------------------------------------------------------------ the masker
def test_every_form_of_a_secret_is_masked():
    masker = SecretMasker([SECRET])
    forms = [SECRET, urllib.parse.quote(SECRET, safe=''), urllib.parse.quote(SECRET), urllib.parse.quote_plus(SECRET),
             json.dumps(SECRET)[1:-1], json.dumps(json.dumps(SECRET)[1:-1])[1:-1], base64.b64encode(SECRET.encode()).decode()]
    for form in forms:
        text = 'before %s after' % form
        assert masker.mask_text(text) == 'before ******** after', form
    # a whole JSON document holding the secret (an echoed request body)
    assert SECRET not in masker.mask_text(json.dumps(dict(password=SECRET)))
    assert json.dumps(SECRET)[1:-1] not in masker.mask_text(json.dumps(dict(password=SECRET)))


def test_basic_credential_of_a_client_pair_is_masked():
    masker = SecretMasker()
    masker.add_client('bot-client', 'bot-secret-1')
    basic = base64.b64encode(b'bot-client:bot-secret-1').decode()
    assert basic not in masker.mask_text('the header was %s' % basic)
    assert basic.rstrip('=') not in masker.mask_text('cut: %s' % basic.rstrip('='))


@pytest.mark.parametrize('text', [
    'Authorization: Bearer %s' % TOKEN,
    'authorization: bearer %s' % TOKEN,
    '{"Authorization": "Bearer %s"}' % TOKEN,
    "headers={'Authorization': 'Bearer %s'}" % TOKEN,
    'Authorization=Bearer+%s&x=1' % TOKEN,
    'echo: Bearer%%20%s' % TOKEN,
    'the proxy saw Bearer %s and gave up' % TOKEN,
    'Authorization: Basic %s' % base64.b64encode(b'someone:something-else').decode(),
    'sent Basic %s' % base64.b64encode(b'someone:something-else').decode(),
])
def test_authorization_bearer_and_basic_patterns_are_masked_without_knowing_the_value(text):
    out = SecretMasker().mask_text(text)
    assert TOKEN not in out and base64.b64encode(b'someone:something-else').decode() not in out
    assert '********' in out


@pytest.mark.parametrize('text', ['client credentials with HTTP Basic and no scope', 'Basic authentication is used',
                                  'a bearer token is needed', 'token_type bearer'])
def test_prose_about_bearer_and_basic_is_not_masked(text):
    assert SecretMasker().mask_text(text) == text


@pytest.mark.parametrize('label', ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY',
                                   'OPENSSH PRIVATE KEY', 'DSA PRIVATE KEY'])
def test_private_key_blocks_are_removed_certificates_kept(label):
    data = dict(certificates=[CERT + pem(label)], msg='certificates[0] %r contains a private key' % (CERT + pem(label)),
                nested=[dict(x=pem(label).replace('\n', '\\n'))], changed=False)
    out = scrub(data)
    text = json.dumps(out)
    assert KEY_BODY not in text and 'PRIVATE KEY-----' not in text
    assert PRIVATE_KEY_MARKER in out['certificates'][0] and 'CERTIFICATEBODYISPUBLIC' in out['certificates'][0]
    assert out['changed'] is False


def test_unterminated_private_key_is_removed_to_the_end():
    cut = ('%r is not a certificate' % pem('PRIVATE KEY'))[:60]
    assert 'MIGHAgEAMBMG' not in scrub(cut) and scrub(cut).endswith(PRIVATE_KEY_MARKER)


def test_blank_values_have_no_form():
    masker = SecretMasker(['', '   ', None])
    assert masker.forms() == set() and masker.mask_text('a b  c') == 'a b  c'


# ------------------------------------------------------------------ private keys on both paths
def key_core(params, ctx):
    for cert in params.get('certificates') or []:
        if 'PRIVATE KEY' in cert:
            raise GenesysModuleFail('certificates: %s contains a private key; give only the certificate(s)' % cert[:80])
    return dict(changed=False, certificates=params.get('certificates'))


KEY_SPEC = build_spec(dict(certificates=dict(type='list', elements='str'), count=dict(type='int')),
                      with_connection=False)


class KeyAction(GenesysActionBase):
    SPEC = KEY_SPEC
    CORE = staticmethod(key_core)


def module_result(spec, core, args, capsys, inject=True):
    full = dict(args, _ansible_module_name='genesyscloud.sso.test_keys')
    if inject and 'inject_invocation' in PASS_VARS:  # ansible-core >= 2.21 returns invocation only when asked
        full['_ansible_inject_invocation'] = True
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            run_module(spec, core)
    out = capsys.readouterr().out
    return json.loads(out[out.index('{'):])


def action_result(cls, args):
    return cls.__new__(cls).run_core({}, dict(args), 'genesyscloud.sso.test_keys', inject_invocation=True)


@pytest.mark.parametrize('args', [
    dict(certificates=[CERT + pem('PRIVATE KEY')]),                   # refused by the core
    dict(certificates=[pem('RSA PRIVATE KEY')], count='many'),        # refused by argument validation
    dict(certificates=[pem('ENCRYPTED PRIVATE KEY')], bogus=1),       # unsupported option
], ids=['core-refuses', 'type-error', 'unsupported'])
def test_private_key_never_in_result_or_invocation_on_either_path(args, capsys):
    act = action_result(KeyAction, args)
    mod = module_result(KEY_SPEC, key_core, args, capsys)
    for res in (act, mod):
        assert res['failed']
        text = json.dumps(res)
        assert KEY_BODY not in text and 'PRIVATE KEY-----' not in text, text
        assert PRIVATE_KEY_MARKER in json.dumps(res['invocation']['module_args'])
    act.pop('warnings', None), mod.pop('warnings', None), act.pop('deprecations', None), mod.pop('deprecations', None)
    assert act == mod


def test_identity_provider_refuses_pasted_key_and_scrubs_it():
    args = dict(api_url='https://api.example.test', client_id='cid', client_secret='csecret-1', type='generic',
                name='Corp', issuer_uri='https://idp.example/e', sso_target_uri='https://idp.example/sso',
                certificates=[CERT + pem('PRIVATE KEY')])
    res = idp_action.ActionModule.__new__(idp_action.ActionModule).run_core(
        {}, args, 'genesyscloud.sso.genesys_identity_provider', inject_invocation=True)
    text = json.dumps(res)
    assert res['failed'] and KEY_BODY not in text and 'PRIVATE KEY-----' not in text


# ------------------------------------------------------------------ the client: tokens, bodies, whitespace
GOOD = 'Basic ' + base64.b64encode(b'good:s3cret-value').decode()


@pytest.fixture
def echo_http(monkeypatch):
    """A platform whose errors echo the request: the token endpoint echoes its form, tokens/me the token."""
    calls = []
    mode = dict(token_echo=False, api_echo='bare')

    def request(self, method, url, **kwargs):
        path = '/' + url.split('/', 3)[3]
        calls.append((method, path, kwargs))
        headers = kwargs.get('headers') or {}
        if path == '/oauth/token':
            if mode['token_echo']:
                form = urllib.parse.urlencode(kwargs.get('data') or {})
                return FakeResponse(400, text='<html>bad request: %s; Authorization was %s</html>'
                                    % (form, headers.get('Authorization')), headers={'Content-Type': 'text/html'})
            if headers.get('Authorization') == GOOD:
                return FakeResponse(200, dict(access_token=TOKEN, token_type='bearer', expires_in=3600))
            return FakeResponse(401, dict(error='invalid_client', error_description='authentication failed'))
        token = headers.get('Authorization', '').split(' ', 1)[-1]
        if path == '/api/v2/tokens/me':
            # the token without a Bearer prefix: only the registration of the minted token can mask it
            return FakeResponse(500, dict(code='internal', message='token %s could not be resolved' % token))
        if path == '/api/v2/organizations/me' and mode.get('org_ok_echo'):
            return FakeResponse(200, dict(id='org-1', name='org of %s' % token, thirdPartyOrgName='acme'))
        if path == '/api/v2/organizations/me':
            # the headers (Bearer form) and the bare token: only the registration of the minted token masks the latter
            return FakeResponse(502, text='gateway error; request headers: %s; token %s' % (json.dumps(headers), token))
        return FakeResponse(404, dict(code='not.found', message='no'))
    monkeypatch.setattr(requests.Session, 'request', request)
    return calls, mode


CONN = dict(api_url='https://api.example.test', timeout=5, retries=0)
CHECK_ARGS = dict(CONN, clients=[dict(client_id='good', client_secret='s3cret-value', name='bot')], fail_on_error=False)


def test_oauth_check_masks_the_token_it_minted_when_an_answer_echoes_it(echo_http, capsys):
    """E16 (b): fails when the client's registration of the minted token (GenesysClient._grant ->
    _report_secret) or its delivery to the running task (report_secret / on_secret) is removed."""
    calls, _mode = echo_http
    act = check_action.ActionModule.__new__(check_action.ActionModule).run_core({}, dict(CHECK_ARGS), 'genesys_oauth_check')
    full = dict(CHECK_ARGS, _ansible_module_name='genesys_oauth_check')
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            run_module(check_module.SPEC, check_module.core)
    out = capsys.readouterr().out
    mod = json.loads(out[out.index('{'):])
    assert any(p == '/api/v2/tokens/me' for _m, p, _k in calls)
    for res in (act, mod):
        text = json.dumps(res)
        assert res['passed'] is False and 'could not be resolved' in text  # the echo is in the result ...
        assert TOKEN not in text and 's3cret-value' not in text            # ... but masked
        assert '********' in text


def test_oauth_check_core_masks_the_token_without_a_masking_entry_point(echo_http):
    """The core alone (as a third caller would run it): the client reports the token to the context."""
    params = ArgumentSpecValidator(check_module.SPEC['argument_spec']).validate(dict(CHECK_ARGS)).validated_parameters
    ctx = RunContext()
    with ctx:
        check_module.core(params, ctx)
    assert TOKEN in ctx.secrets
    assert TOKEN not in ctx.masker().mask_text('token %s could not be resolved' % TOKEN)


def test_client_reports_minted_token_and_credentials_to_on_secret_and_active_context(echo_http):
    seen = []
    ctx = RunContext()
    with ctx:
        client = GenesysClient(dict(CONN, client_id='good', client_secret='s3cret-value'), on_secret=seen.append)
        client.get_token()
    basic = base64.b64encode(b'good:s3cret-value').decode()
    assert TOKEN in seen and 's3cret-value' in seen and basic in seen
    assert set([TOKEN, 's3cret-value', basic]) <= ctx.secrets
    # outside ``with ctx`` nothing is reported to it
    other = RunContext()
    GenesysClient(dict(CONN, client_id='good', client_secret='other-secret-2')).close()
    assert other.secrets == set() and 'other-secret-2' not in ctx.secrets


def test_api_error_body_is_masked_before_it_reaches_the_message(echo_http):
    client = GenesysClient(dict(CONN, client_id='good', client_secret='s3cret-value'))
    with pytest.raises(GenesysError) as err:
        client.get('/api/v2/organizations/me')
    text = err.value.describe() + json.dumps(err.value.body)
    assert 'gateway error' in text and TOKEN not in text


def test_token_endpoint_echoing_its_form_and_basic_header_is_masked(echo_http):
    _calls, mode = echo_http
    mode['token_echo'] = True
    password = 'p@ss word/+&=%'
    args = dict(CONN, client_id='good', client_secret='s3cret-value', grant_type='password', username='ann@x.example',
                password=password)
    res = token_action.ActionModule.__new__(token_action.ActionModule).run_core({}, args, 'genesys_token')
    text = json.dumps(res)
    assert res['failed'] and 'bad request' in text
    for form in (password, urllib.parse.quote_plus(password), urllib.parse.quote(password, safe=''),
                 base64.b64encode(b'good:s3cret-value').decode(), 's3cret-value'):
        assert form not in text, form


def test_genesys_token_returns_the_minted_token_but_masks_it_elsewhere(echo_http, capsys):
    args = dict(CONN, client_id='good', client_secret='s3cret-value', include_organization=True)
    act = token_action.ActionModule.__new__(token_action.ActionModule).run_core({}, dict(args), 'genesys_token')
    # organizations/me answers 502 echoing the request headers: the failure masks the token everywhere
    assert act['failed'] and TOKEN not in json.dumps(act)
    full = dict(args, _ansible_module_name='genesys_token')
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            run_module(token_module.SPEC, token_module.core)
    out = capsys.readouterr().out
    mod = json.loads(out[out.index('{'):])
    assert mod['failed'] and TOKEN not in json.dumps(mod)
    ok = token_action.ActionModule.__new__(token_action.ActionModule).run_core(
        {}, dict(CONN, client_id='good', client_secret='s3cret-value'), 'genesys_token')
    assert ok['access_token'] == TOKEN  # the value the module exists to return (censored in the output)


def test_given_token_is_stripped_of_surrounding_whitespace(echo_http):
    calls, _mode = echo_http
    client = GenesysClient(dict(CONN, access_token='  given-token-123\n'))
    with pytest.raises(GenesysError):
        client.get('/api/v2/tokens/me')
    assert calls[0][2]['headers']['Authorization'] == 'Bearer given-token-123'


@pytest.mark.parametrize('token', ['given token-123', 'given-token\n-123', 'given\x00token', 'given\ttoken'])
def test_given_token_with_inner_whitespace_is_refused_before_any_request(echo_http, token):
    calls, _mode = echo_http
    res = info_action.ActionModule.__new__(info_action.ActionModule).run_core(
        {}, dict(CONN, access_token=token), 'genesys_identity_provider_info')
    assert res['failed'] and 'access_token' in res['msg'] and 'inside it' in res['msg']
    assert calls == []
    assert token not in json.dumps(res)


# ------------------------------------------------------------------ E16 (d): TLS verification on by default
def test_tls_verification_is_on_by_default():
    spec = common.connection_argument_spec()
    assert spec['validate_certs'] == dict(type='bool', default=True)
    for module in (token_module, check_module):
        assert module.SPEC['argument_spec']['validate_certs']['default'] is True
        params = ArgumentSpecValidator(module.SPEC['argument_spec']).validate(
            dict(api_url='https://api.example.test', client_id='a', client_secret='b')).validated_parameters
        assert params['validate_certs'] is True
        client = GenesysClient(params)
        assert client.verify is True and client.session.verify is True
        client.close()
    # validate_certs None (not validated, e.g. a third caller) is verified too
    client = GenesysClient(dict(api_url='https://api.example.test', client_id='a', client_secret='b'))
    assert client.verify is True and client.session.verify is True


def test_masking_an_authorization_value_keeps_the_rest_of_the_message():
    text = 'upstream failed for Authorization: Bearer %s (token x). | probe /api/v2/x: HTTP 503' % TOKEN
    out = SecretMasker().mask_text(text)
    assert out == 'upstream failed for Authorization: ******** (token x). | probe /api/v2/x: HTTP 503'


def test_a_successful_answer_echoing_the_minted_token_is_masked_on_both_paths(echo_http, capsys):
    """Only the registration with the running task masks a token copied from a successful answer into the
    result: fails when ``with ctx`` around the core (either path) or report_secret is removed."""
    _calls, mode = echo_http
    mode['org_ok_echo'] = True
    args = dict(CONN, client_id='good', client_secret='s3cret-value', include_organization=True)
    act = token_action.ActionModule.__new__(token_action.ActionModule).run_core({}, dict(args), 'genesys_token')
    full = dict(args, _ansible_module_name='genesys_token')
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            run_module(token_module.SPEC, token_module.core)
    out = capsys.readouterr().out
    mod = json.loads(out[out.index('{'):])
    for res in (act, mod):
        assert res['access_token'] == TOKEN  # the one place it is returned on purpose
        assert res['organization']['name'] == 'org of ********'
        assert TOKEN not in json.dumps(dict((k, v) for k, v in res.items() if k != 'access_token'))


def test_a_transport_error_quoting_the_authorization_header_is_masked(monkeypatch):
    """requests' InvalidHeader quotes the header value; the message and the retry warnings mask it."""
    def request(self, method, url, **kwargs):
        raise requests.exceptions.InvalidHeader(
            "Invalid return character or leading space in header: Authorization: %r" % kwargs['headers']['Authorization'])
    monkeypatch.setattr(requests.Session, 'request', request)
    warnings = []
    client = GenesysClient(dict(CONN, access_token='given-token-123456', retries=1), warn=warnings.append,
                           sleep=lambda s: None)
    with pytest.raises(GenesysError) as err:
        client.get('/api/v2/tokens/me')
    assert 'given-token-123456' not in err.value.describe() + ' '.join(warnings)


def test_a_permission_name_is_not_taken_for_an_authorization_header():
    # the platform's 403 names permissions like authorization:role:view; a header value is still masked
    from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import SecretMasker
    masker = SecretMasker()
    text = 'You are missing the following permission: authorization:role:view'
    assert masker.mask(text) == text
    assert 'abcdefghijklmnop' not in masker.mask('authorization:abcdefghijklmnop')
    assert 'abcdefghij12' not in masker.mask('Authorization: Bearer abcdefghij12')
