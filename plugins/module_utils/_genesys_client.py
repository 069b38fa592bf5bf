# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the authenticated client of one org's platform API.

It owns what makes a request a Genesys Cloud request, on top of the transport (``_genesys_transport``: session, TLS,
retries, redirects refused, the URL validator):

* regions -> hosts (:data:`REGIONS`, :func:`resolve_region`) and the API/login base URLs (checked with
  ``_genesys_transport.check_https_url`` before any request);
* the OAuth grants of the grant table (``_genesys_grants``) against ``POST <login>/oauth/token`` (HTTP Basic, no
  scope), or a given access token; the token rate limit answer retried;
* the Bearer token on every API call, one re-authentication and replay on 401 when credentials are available;
* every failure is a :class:`GenesysError` whose :meth:`GenesysError.describe` names the cause and the fix
  (the token errors and the API errors are worded here).

Secrets (client secret, password, assertion, token) never appear in a warning, an error message or an exception
attribute: the client reports every secret it sends and every token it mints (``on_secret`` and
``_genesys_common.report_secret``, so the running task masks them in all their forms), and a response body is
copied into a message only through its masker. The Genesys paths themselves are the API facade's
(``_genesys_api``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    SecretMasker,
    basic_credential,
    report_secret,
)
# the transport's names the callers (cores, tests) import from here too
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import (  # noqa: F401 pylint: disable=unused-import
    BACKOFF_BASE,
    BACKOFF_CAP,
    HAS_REQUESTS,
    IDEMPOTENT_METHODS,
    REQUESTS_IMPORT_ERROR,
    REQUIREMENTS_HINT,
    RETRY_AFTER_CAP,
    RETRY_STATUSES,
    USER_AGENT,
    GenesysError,
    Transport,
    UrlProblem,
    _correlation_id,
    _location_host,
    _masked_body,
    _parse_body,
    _unreadable_answer,
    backoff_delay,
    check_https_url,
    parse_retry_after,
    require_requests,
    to_module_fail,
    transport_settings,
)

# Region key (TF ``aws_region`` spelling) -> domain; genesys-api.md section 1.1.
REGIONS = {
    'us-east-1': 'mypurecloud.com',
    'us-east-2': 'use2.us-gov-pure.cloud',
    'us-west-2': 'usw2.pure.cloud',
    'ca-central-1': 'cac1.pure.cloud',
    'sa-east-1': 'sae1.pure.cloud',
    'eu-west-1': 'mypurecloud.ie',
    'eu-west-2': 'euw2.pure.cloud',
    'eu-central-1': 'mypurecloud.de',
    'eu-central-2': 'euc2.pure.cloud',
    'me-central-1': 'mec1.pure.cloud',
    'ap-south-1': 'aps1.pure.cloud',
    'ap-northeast-1': 'mypurecloud.jp',
    'ap-northeast-2': 'apne2.pure.cloud',
    'ap-northeast-3': 'apne3.pure.cloud',
    'ap-southeast-2': 'mypurecloud.com.au',
    'ap-southeast-1': 'apse1.pure.cloud',
    'mx-central-1': 'mxc1.pure.cloud',
    'eusc-de-east-1': 'edee1.eusc-pure.cloud',
}

# the grants (form fields, required options): the one table of _genesys_grants
GRANT_TYPES = grants.GRANT_TYPES
SAML2_BEARER_GRANT = grants.SAML2_BEARER_GRANT

_TOKEN_BAD_CHAR_RE = re.compile(r'[\s\x00-\x1f\x7f]')
TOKEN_PATH = grants.TOKEN_PATH


def resolve_region(region):
    """Return the domain of ``region`` (``us-east-1``, ``us_east_1`` or a bare domain).

    Raises :class:`GenesysError` listing the valid keys for an unknown region.
    """
    if region is None or not str(region).strip():
        raise GenesysError(message='no region given', code='invalid.region',
                           hint='Set region (or GENESYSCLOUD_REGION) to one of: %s; or set api_url.'
                           % ', '.join(sorted(REGIONS)))
    key = str(region).strip().lower()
    if key.startswith('https://'):
        key = key[len('https://'):]
    key = key.rstrip('/')
    for prefix in ('api.', 'login.'):
        if key.startswith(prefix) and key[len(prefix):] in REGIONS.values():
            key = key[len(prefix):]
    if key in REGIONS.values():
        return key
    normalised = key.replace('_', '-')
    if normalised in REGIONS:
        return REGIONS[normalised]
    raise GenesysError(
        message='unknown region %r' % region, code='invalid.region',
        hint='Valid regions: %s (the underscore spelling, e.g. us_east_1, and the bare domains, '
             'e.g. mypurecloud.ie, are accepted too); or set api_url/login_url.' % ', '.join(sorted(REGIONS)))


def _iso_utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _token_error(status, body, correlation_id, client_id, retries=0, mask=None):
    """GenesysError for a failed token request, with cause + fix (texts of the body through ``mask``)."""
    mask = mask or SecretMasker().mask_text
    error = description = None
    if isinstance(body, dict):
        error = body.get('error') or body.get('code')
        description = body.get('error_description') or body.get('description') or body.get('message')
    description = description or ''
    low = description.lower()
    client = ('OAuth client %s' % client_id) if client_id else 'the OAuth client'
    if error == 'invalid_client' and ('disabled' in low or 'inactive' in low):
        hint = ('Cause: %s is disabled or inactive. Fix: set its state to active in Admin > Integrations > '
                'OAuth, or use another client' % client)
    elif error == 'invalid_client':
        hint = ('Cause: the client ID or secret is not valid, or the client was deleted, or it belongs to another '
                'region. Fix: check client_id/client_secret (GENESYSCLOUD_OAUTHCLIENT_ID/_SECRET) and the region')
    elif error in ('unsupported_grant_type', 'unauthorized_client'):
        hint = ('Cause: %s is not allowed to use this grant type. Fix: use a client whose grant type matches '
                '(Client Credentials for automation) or pick the matching grant_type' % client)
    elif error == 'invalid_grant':
        hint = ('Cause: the user credentials or the SAML assertion / org name were refused. Fix: check '
                'username/password, or the assertion, its validity window and org_name (the org short name)')
    elif error == 'invalid_request' and low.startswith('rate limit exceeded'):
        hint = ('Cause: token issuing for %s is rate limited (still after %d retries). Fix: reuse one token '
                '(genesyscloud.sso.genesys_token + access_token) instead of a grant per task' % (client, retries))
    elif 'disabled' in low or 'inactive' in low:
        hint = 'Cause: %s is disabled or inactive. Fix: set its state to active in Admin > Integrations > OAuth' % client
    else:
        hint = None
    if hint is None and status is not None and status >= 500:
        hint = 'Cause: the login service was temporarily unavailable (still after %d retries). Fix: try again later' % retries
    message = description if not error else ('%s (%s)' % (error, description) if description else error)
    if not isinstance(body, dict) and body:
        message = str(body)
    message = mask(str(message))[:300]
    return GenesysError(status=status, code=mask(str(error))[:100] if error else 'token.request.failed',
                        message='token request refused: %s' % message,
                        correlation_id=correlation_id, method='POST', path=TOKEN_PATH, hint=hint,
                        body=dict((k, mask(v) if isinstance(v, str) else v) for k, v in body.items())
                        if isinstance(body, dict) else (mask(str(body))[:300] if body else body),
                        client_id=client_id, retries=retries)


def _is_rate_limited_token_answer(status, body):
    return (status == 400 and isinstance(body, dict) and body.get('error') == 'invalid_request'
            and str(body.get('error_description') or body.get('description') or '').lower().startswith('rate limit exceeded'))


def _check_base_url(name, url):
    """``url`` (api_url, login_url) when it is a clean https base URL (scheme lower-cased), None for None; else the
    setting error (the client secret and the token are sent to it)."""
    if url is None:
        return None
    try:
        url = check_https_url(url, userinfo=False, base=True)
    except UrlProblem as problem:
        if problem.kind == 'char':
            raise GenesysError(code='invalid.url', message='%s %r contains a space, line break or control character'
                               % (name, url), hint='Fix: give a URL such as https://api.mypurecloud.com')
        if problem.kind == 'http':
            raise GenesysError(code='invalid.url', message='%s %r uses http://: the client secret and the token would '
                               'travel unencrypted; only https:// is accepted' % (name, url),
                               hint='Fix: give an https URL such as https://api.mypurecloud.com')
        raise GenesysError(code='invalid.url', message='%s %r is not an https URL%s' % (
            name, url, ' (%s)' % problem.detail if problem.detail else ''),
            hint='Fix: give a URL such as https://api.mypurecloud.com')
    return 'https' + url[len('https'):]


class GenesysClient:
    """Client of one org's platform API for the life of one task.

    ``params`` is the module's parameter dict (the connection options of
    ``_genesys_common.connection_argument_spec``, the credential options of every
    grant of ``_genesys_grants`` included: every module performs any grant).
    ``warn`` receives warnings (one per retry, TLS verification off).
    """

    def __init__(self, params, warn=None, sleep=time.sleep, rng=None, session=None, on_secret=None):
        require_requests()
        self.params = params = dict(params)
        self._warn = warn or (lambda msg: None)
        self._on_secret = on_secret
        self._masker = SecretMasker()
        self.token_count = 0
        self._token = None
        self._token_info = None
        self._reauthed = False

        transport_settings(params)  # timeout and retries are checked before anything else
        self.client_id = params.get('client_id')
        self._client_secret = params.get('client_secret')
        for key in grants.SECRET_OPTIONS:
            self._report_secret(params.get(key))
        if grants.filled(self._client_secret):
            self._report_secret(basic_credential(self.client_id, self._client_secret))
        if isinstance(params.get('access_token'), str):
            params['access_token'] = self._clean_token(params['access_token'])
        self.grant_type = self._pick_grant(params)
        self._resolve_urls(params)
        self.transport = Transport(params, host=self.api_url, warn=self._warn, sleep=sleep, rng=rng, session=session,
                                   masker=self._masker, client_id=self.client_id)

    # the transport's state, read by the cores and the tests
    session = property(lambda self: self.transport.session)
    verify = property(lambda self: self.transport.verify)
    timeout = property(lambda self: self.transport.timeout)
    retries = property(lambda self: self.transport.retries)
    request_count = property(lambda self: self.transport.request_count)
    retry_count = property(lambda self: self.transport.retry_count)
    unknown_attempts = property(lambda self: self.transport.unknown_attempts)

    # ------------------------------------------------------------------ secrets
    def _report_secret(self, value):
        """Register ``value`` for masking: here (messages), with ``on_secret`` and with the running task."""
        if not isinstance(value, str) or not value.strip():
            return
        for form in set([value, value.strip()]):
            self._masker.add(form)
            report_secret(form)
            if self._on_secret is not None:
                self._on_secret(form)

    def mask(self, text):
        """``text`` with every secret of this client (in every form) and any credential masked."""
        return self._masker.mask_text(text)

    def _clean_token(self, token):
        """A given access token without surrounding whitespace; one with whitespace or a control character
        inside is refused before any request (it would break the Authorization header)."""
        stripped = token.strip()
        if stripped and _TOKEN_BAD_CHAR_RE.search(stripped):
            raise GenesysError(code='invalid.access_token',
                               message='access_token contains a space, line break or control character inside it',
                               hint='Fix: give access_token (or GENESYSCLOUD_ACCESS_TOKEN) as the bare token, one line '
                                    'without spaces, e.g. the access_token returned by genesyscloud.sso.genesys_token')
        return stripped

    # ------------------------------------------------------------------ setup
    def _resolve_urls(self, params):
        api_url = (params.get('api_url') or '').strip().rstrip('/') or None
        login_url = (params.get('login_url') or '').strip().rstrip('/') or None
        region = params.get('region')
        self.domain = resolve_region(region) if region else None
        api_url = _check_base_url('api_url', api_url)
        login_url = _check_base_url('login_url', login_url)
        if api_url is None:
            if self.domain is None:
                raise GenesysError(code='missing.region', message='no API host: neither region nor api_url is set',
                                   hint='Fix: set region (or GENESYSCLOUD_REGION) to one of %s, or set api_url '
                                        '(GENESYSCLOUD_API_URL)' % ', '.join(sorted(REGIONS)))
            api_url = 'https://api.%s' % self.domain
        if login_url is None:
            if params.get('api_url'):
                login_url = api_url.replace('//api.', '//login.', 1) if api_url.startswith('https://api.') else api_url
            else:
                login_url = 'https://login.%s' % self.domain
        self.api_url = api_url
        self.login_url = login_url

    def _pick_grant(self, params):
        grant = grants.pick_grant(params)
        if grant not in GRANT_TYPES:
            raise GenesysError(code='invalid.grant_type', message='grant_type must be one of %s, got %r'
                               % (', '.join(GRANT_TYPES), grant), hint='')
        missing = grants.missing_options(grant, params)
        if missing:
            raise GenesysError(code='missing.credentials',
                               message='grant %s needs %s' % (grant, ', '.join(missing)),
                               hint='Fix: set %s (client credentials fall back to GENESYSCLOUD_OAUTHCLIENT_ID and '
                                    'GENESYSCLOUD_OAUTHCLIENT_SECRET, a token to GENESYSCLOUD_ACCESS_TOKEN)'
                                    % ', '.join(missing))
        return grant

    @property
    def can_reauthenticate(self):
        """True when a new token can be minted (credentials, not only a bare token)."""
        renew = grants.renew_grant(self.grant_type)
        return renew == self.grant_type or not grants.missing_options(renew, self.params)

    # ------------------------------------------------------------------ token
    def get_token(self):
        """The token of this client: dict(access_token, token_type, expires_in, expires_at, grant_type).

        The grant runs once per client object (and once more on a 401 re-auth).
        """
        if self._token_info is None:
            if self.grant_type == 'token':
                self._token_info = dict(access_token=self.params['access_token'], token_type='bearer',
                                        expires_in=None, expires_at=None, grant_type='token')
            else:
                self._token_info = self._grant(self.grant_type)
        return self._token_info

    def _grant(self, grant):
        form = grants.token_form(grant, self.params)
        basic = basic_credential(self.client_id, self._client_secret)
        headers = {'Authorization': 'Basic %s' % basic, 'Content-Type': 'application/x-www-form-urlencoded'}
        url = self.login_url + TOKEN_PATH
        attempt = 0
        while True:
            resp = self._send('POST', url, TOKEN_PATH, headers=headers, data=form, safe_to_repeat=True)
            status = resp.status_code
            body = _parse_body(resp)
            if 200 <= status < 300 and isinstance(body, dict) and body.get('access_token'):
                # registered before anything else can show it (every core, every path)
                self._report_secret(str(body['access_token']))
                break
            if 200 <= status < 300 and not isinstance(body, dict):
                raise _unreadable_answer(resp, 'POST', TOKEN_PATH, self.client_id, mask=self.mask)
            retry_possible = attempt < self.retries
            if _is_rate_limited_token_answer(status, body) and retry_possible:
                attempt += 1
                self.transport.retry_wait(attempt, 'HTTP 400 rate limit exceeded', 'POST', TOKEN_PATH, None)
                continue
            raise _token_error(status, body, _correlation_id(resp, body), self.client_id, retries=attempt,
                               mask=self.mask)
        self.token_count += 1
        now = time.time()
        expires_in = body.get('expires_in')
        try:
            expires_in = int(expires_in)
        except (TypeError, ValueError):
            expires_in = None
        return dict(access_token=body['access_token'], token_type=body.get('token_type') or 'bearer',
                    expires_in=expires_in, expires_at=_iso_utc(now + expires_in) if expires_in is not None else None,
                    grant_type=grant)

    def _reauthenticate(self):
        self._token_info = self._grant(grants.renew_grant(self.grant_type))
        return self._token_info

    # ------------------------------------------------------------------ transport
    def _send(self, method, url, path, safe_to_repeat=None, **kwargs):
        return self.transport.send(method, url, path, safe_to_repeat=safe_to_repeat,
                                   host='login' if path == TOKEN_PATH else 'API', **kwargs)

    # ------------------------------------------------------------------ API
    def request(self, method, path, body=None, query=None, expect_404=False, headers=None):
        """Call the platform API; return ``(status, data)`` (data = parsed JSON or None).

        Non-2xx answers raise :class:`GenesysError`, except a 404 with ``expect_404``,
        which returns ``(404, None)``.
        """
        method = method.upper()
        if not path.startswith('/'):
            path = '/' + path
        url = self.api_url + path
        replayed = False
        while True:
            token = self.get_token()
            hdrs = {'Authorization': 'Bearer %s' % token['access_token']}
            if body is not None:
                hdrs['Content-Type'] = 'application/json'
            if headers:
                hdrs.update(headers)
            kwargs = dict(headers=hdrs, params=query)
            if body is not None:
                kwargs['json'] = body
            resp = self._send(method, url, path, **kwargs)
            status = resp.status_code
            data = _parse_body(resp)
            if status == 401 and not replayed and self.can_reauthenticate:
                replayed = True
                self._reauthed = True
                self._warn('Genesys Cloud: HTTP 401 on %s %s; getting a new token and replaying the request once'
                           % (method, path))
                self._reauthenticate()
                continue
            break
        if 200 <= status < 300:
            if resp.content and not isinstance(data, (dict, list)):
                raise _unreadable_answer(resp, method, path, self.client_id, mask=self.mask)
            return status, (data if isinstance(data, (dict, list)) else None)
        if status == 404 and expect_404:
            return 404, None
        raise self._api_error(resp, data, method, path)

    def _api_error(self, resp, data, method, path):
        code = message = None
        if isinstance(data, dict):
            code = data.get('code')
            message = data.get('message')
        elif data:
            message = str(data)
        if not message:
            message = resp.reason or ''
        # an error body is never copied unfiltered: it may echo the request (Authorization, the form)
        message = self.mask(str(message))[:300]
        code = self.mask(str(code))[:100] if code is not None else None
        hint = None
        if resp.status_code == 401 and self.grant_type == 'token' and not self.can_reauthenticate:
            hint = ('Cause: the access token is invalid or expired. Fix: get a fresh token with '
                    'genesyscloud.sso.genesys_token, or give client_id/client_secret so the module can renew it')
        elif resp.status_code == 401:
            hint = ('Cause: the platform refused the token even after a re-authentication (IP not authorized, or '
                    'the client was disabled). Fix: check the client in Admin > Integrations > OAuth and its '
                    'credentials') if code != 'ip.not.authorized' else (
                'Cause: the org allows API access only from certain IP addresses. Fix: add this host\'s address '
                'to the allow list (Admin > Security)')
        return GenesysError(status=resp.status_code, code=code, message=message,
                            correlation_id=_correlation_id(resp, data), method=method, path=path,
                            body=_masked_body(data, self._masker),
                            hint=hint, client_id=self.client_id, retries=getattr(resp, 'genesys_retries', 0))

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def put(self, path, body=None, **kw):
        return self.request('PUT', path, body=body, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)

    def head(self, path, **kw):
        return self.request('HEAD', path, **kw)

    def close(self):
        self.transport.close()
