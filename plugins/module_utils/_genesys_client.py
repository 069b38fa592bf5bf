# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client of the Genesys Cloud platform API.

* regions -> hosts (:data:`REGIONS`, :func:`resolve_region`);
* OAuth grants against ``POST <login>/oauth/token`` (client credentials with
  HTTP Basic and no scope, password, SAML2 bearer) or a given access token;
* one ``requests.Session`` per :class:`GenesysClient`, timeouts, TLS
  (``validate_certs`` / ``ca_path``), proxies from the environment;
* retries of 429 / 502 / 503 / 504 / connection resets / time-outs, honouring
  ``Retry-After`` (capped), jittered exponential backoff otherwise, bounded by
  ``retries``, one warning per retry; a POST is retried only when the request
  provably never left (connect time-out, connection refused) or on 429;
* one re-authentication and replay on 401 when credentials are available;
* every failure is a :class:`GenesysError` whose :meth:`GenesysError.describe`
  names the cause and the fix;
* redirects are refused on both hosts (the token POST included): Genesys Cloud
  does not redirect, so a 3xx comes from something in between and must not
  receive the credentials or the token.

Secrets (client secret, password, assertion, token) never appear in a
warning, an error message or an exception attribute: the client reports every
secret it sends and every token it mints (``on_secret`` and
``_genesys_common.report_secret``, so the running task masks them in all their
forms), and a response body is copied into a message only through its masker.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import email.utils
import math
import random
import re
import time
import traceback

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the modules
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_grants as grants
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
    SecretMasker,
    basic_credential,
    report_secret,
)

# What a missing runtime library tells the user: Ansible's generic "Failed to import the required Python library"
# does not say that the collection brings its own requirements file.
REQUIREMENTS_HINT = ("The genesyscloud.sso collection needs it: install the collection's requirements: pip install -r "
                     "requirements.txt (requests, cryptography, defusedxml), with the pip of the Python above; the "
                     "file is at the root of the installed collection (ansible_collections/genesyscloud/sso/"
                     "requirements.txt)")

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'genesyscloud.sso/%s (Ansible collection)' % COLLECTION_VERSION

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

RETRY_STATUSES = frozenset([429, 502, 503, 504])
_TOKEN_BAD_CHAR_RE = re.compile(r'[\s\x00-\x1f\x7f]')
IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
RETRY_AFTER_CAP = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
TOKEN_PATH = '/oauth/token'

_PERMISSION_RE = re.compile(r'\b([a-zA-Z][a-zA-Z0-9]*(?::[a-zA-Z0-9*]+){2,})\b')
_SCOPE_RE = re.compile(r'scope\s+\[?([a-z][a-z0-9:-]*)\]?')


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


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), or None.

    The result is never negative and is capped at :data:`RETRY_AFTER_CAP`.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        current = now if now is not None else time.time()
        seconds = when.timestamp() - current
    if math.isnan(seconds):
        return None
    return max(0.0, min(RETRY_AFTER_CAP, seconds))


def backoff_delay(attempt, rng=None):
    """Jittered exponential backoff for retry number ``attempt`` (1-based).

    The un-jittered delay is ``BACKOFF_BASE * 2 ** (attempt - 1)`` capped at
    ``BACKOFF_CAP``; the result lies between half of it and all of it.
    """
    rng = rng or random
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempt - 1)))
    return ceiling / 2.0 + rng.uniform(0, ceiling / 2.0)


def _iso_utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class GenesysError(Exception):
    """Any failure talking to Genesys Cloud.

    Attributes: ``status`` (HTTP status or None), ``code`` (Genesys error code
    or OAuth ``error``), ``message``, ``correlation_id``, ``method``, ``path``,
    ``body`` (parsed error body, or text), ``hint`` (cause and fix),
    ``client_id`` (the OAuth client in use, if known).
    """

    def __init__(self, status=None, code=None, message=None, correlation_id=None, method=None, path=None,
                 body=None, hint=None, client_id=None, retries=0):
        self.status = status
        self.code = code
        self.message = message or ''
        self.correlation_id = correlation_id
        self.method = method
        self.path = path
        self.body = body
        self.hint = hint
        self.client_id = client_id
        self.retries = retries
        super(GenesysError, self).__init__(self.describe())

    def describe(self):
        """One message: what failed, the Genesys code, the likely cause and the fix, the correlation id."""
        if self.method and self.path:
            head = '%s %s failed' % (self.method, self.path)
            if self.status is not None:
                head += ': HTTP %s' % self.status
            if self.code:
                head += ' %s' % self.code
            head += (' - %s' % self.message if self.message else '')
        else:
            # a setting problem found before any request
            head = 'Genesys Cloud connection settings: %s' % (self.message or self.code)
        parts = [head]
        hint = self.hint if self.hint is not None else self._default_hint()
        if hint:
            parts.append(hint)
        if self.correlation_id:
            parts.append('Correlation id: %s.' % self.correlation_id)
        return ' '.join(p if p.endswith('.') else p + '.' for p in parts)

    def __str__(self):
        return self.describe()

    def result_fields(self):
        """Extra fields for a failed task result."""
        return dict(status=self.status, code=self.code, correlation_id=self.correlation_id)

    def missing_permission(self):
        """The permission named by a 403 message (e.g. ``sso:provider:view``), or None."""
        texts = [self.message]
        if isinstance(self.body, dict):
            params = self.body.get('messageParams')
            if isinstance(params, dict):
                texts.extend(str(v) for v in params.values())
        for text in texts:
            match = _PERMISSION_RE.search(text or '')
            if match:
                return match.group(1)
        return None

    def _client_label(self):
        return ('OAuth client %s' % self.client_id) if self.client_id else 'the OAuth client'

    def _default_hint(self):
        status = self.status
        client = self._client_label()
        if status == 401:
            return ('Cause: the access token is invalid or expired, or the client credentials are wrong. '
                    'Fix: check client_id/client_secret (or GENESYSCLOUD_OAUTHCLIENT_ID/_SECRET), or get a fresh '
                    'token with genesyscloud.sso.genesys_token; a token given as access_token cannot be renewed '
                    'by the module unless client credentials are given too')
        if status == 403:
            perm = self.missing_permission()
            scope = _SCOPE_RE.search(self.message or '') if self.code == 'app.not.authorized.for.scope' else None
            if scope:
                return ('Cause: %s is not authorized for the scope %s. Fix: add the scope to the client '
                        '(Admin > Integrations > OAuth > the client > Scope)' % (client, scope.group(1)))
            if perm:
                return ('Cause: %s lacks the permission %s. Fix: in Admin > Roles / Permissions give a role the '
                        'permission %s, then assign that role (with the right division) to the client in '
                        'Admin > Integrations > OAuth > the client > Roles' % (client, perm, perm))
            return ('Cause: %s lacks a permission or division access for this request. Fix: assign a role '
                    'with the needed permission to the client in Admin > Integrations > OAuth > the client > Roles'
                    % client)
        if status == 404:
            return ('Cause: the object does not exist in this org (or the path is not available in this region). '
                    'Fix: check the identifier and the region/api_url')
        if status == 429:
            return ('Cause: the rate limit of %s (300 requests a minute per client-credentials token) was still '
                    'exceeded after %d retries. Fix: run fewer tasks against this org in parallel, use a separate '
                    'client per automation, or raise retries' % (client, self.retries))
        if status in (502, 503, 504):
            return ('Cause: Genesys Cloud was temporarily unavailable (still after %d retries). '
                    'Fix: try again later, or raise retries/timeout' % self.retries)
        return None


def to_module_fail(err, **extra):
    """A :class:`GenesysModuleFail` for a :class:`GenesysError` (msg = describe())."""
    fields = err.result_fields()
    fields.update(extra)
    return GenesysModuleFail(err.describe(), **fields)


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


def _connection_never_sent(exc):
    """True when ``exc`` proves the request never reached the server."""
    if not HAS_REQUESTS:
        return False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        seen = set()
        stack = [exc]
        while stack:
            cur = stack.pop()
            if cur is None or id(cur) in seen:
                continue
            seen.add(id(cur))
            if isinstance(cur, ConnectionRefusedError):
                return True
            name = type(cur).__name__
            if name in ('NewConnectionError', 'NameResolutionError'):
                return True
            stack.extend([getattr(cur, 'reason', None), cur.__cause__, cur.__context__])
            stack.extend(a for a in getattr(cur, 'args', ()) if isinstance(a, BaseException))
    return False


def _describe_exc(exc):
    """Short, secret-free text for a transport exception."""
    if HAS_REQUESTS:
        if isinstance(exc, requests.exceptions.SSLError):
            return 'TLS error: %s' % _first_line(exc)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return 'connect time-out'
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return 'read time-out'
        if _connection_never_sent(exc):
            return 'connection refused'
    text = _first_line(exc)
    if 'reset' in text.lower() or 'aborted' in text.lower() or 'RemoteDisconnected' in text:
        return 'connection reset (%s)' % text
    return text


def _first_line(exc):
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


class GenesysClient:
    """Client of one org's platform API for the life of one task.

    ``params`` is the module's parameter dict (the connection options of
    ``_genesys_common.connection_argument_spec``, the credential options of every
    grant of ``_genesys_grants`` included: every module performs any grant).
    ``warn`` receives warnings (one per retry, TLS verification off).
    """

    def __init__(self, params, warn=None, sleep=time.sleep, rng=None, session=None, on_secret=None):
        if not HAS_REQUESTS:
            raise GenesysError(code='missing.library', message=missing_required_lib('requests'), hint=REQUIREMENTS_HINT)
        self.params = params = dict(params)
        self._warn = warn or (lambda msg: None)
        self._on_secret = on_secret
        self._masker = SecretMasker()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.request_count = 0
        self.retry_count = 0
        # writes whose attempt failed after it may have reached the server and that were then sent again: a late
        # first attempt can still land (the provider core waits for it before a rollback)
        self.unknown_attempts = 0
        self.token_count = 0
        self._token = None
        self._token_info = None
        self._reauthed = False

        timeout = params.get('timeout')
        self.timeout = 30.0 if timeout is None else float(timeout)
        if not 0 < self.timeout < 86400:  # also refuses nan and inf
            raise GenesysError(code='invalid.timeout', message='timeout %r is not a number of seconds above 0' % timeout,
                               hint='Fix: set timeout to the seconds to wait for each request, e.g. 30')
        retries = params.get('retries')
        self.retries = 5 if retries is None else max(0, int(retries))
        self.client_id = params.get('client_id')
        self._client_secret = params.get('client_secret')
        self._report_secret(self._client_secret)
        if grants.filled(self._client_secret):
            self._report_secret(basic_credential(self.client_id, self._client_secret))
        for key in ('password', 'assertion', 'access_token'):
            self._report_secret(params.get(key))
        if isinstance(params.get('access_token'), str):
            params['access_token'] = self._clean_token(params['access_token'])
        self.grant_type = self._pick_grant(params)
        self._resolve_urls(params)

        self.session = session or requests.Session()
        self.session.headers.update({'User-Agent': USER_AGENT, 'Accept': 'application/json'})
        # verify is passed on every request: a session-level verify loses against REQUESTS_CA_BUNDLE
        if params.get('validate_certs') is False:
            self.verify = False
            self._warn('validate_certs is false: the TLS certificate of %s is not verified; use ca_path for a '
                       'private CA instead' % self.api_url)
            try:
                import urllib3
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            except Exception:  # pragma: no cover
                pass
        else:
            self.verify = params.get('ca_path') or True
        self.session.verify = self.verify

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
        for name, url in (('api_url', api_url), ('login_url', login_url)):
            if url is None:
                continue
            if re.search(r'[\s\x00-\x1f\x7f]', url):
                raise GenesysError(code='invalid.url', message='%s %r contains a space, line break or control character'
                                   % (name, url), hint='Fix: give a URL such as https://api.mypurecloud.com')
            if re.match(r'^http://', url, re.I):
                raise GenesysError(code='invalid.url', message='%s %r uses http://: the client secret and the token would '
                                   'travel unencrypted; only https:// is accepted' % (name, url),
                                   hint='Fix: give an https URL such as https://api.mypurecloud.com')
            if not re.match(r'^https://[^/?#@]+(/|$)', url):
                raise GenesysError(code='invalid.url', message='%s %r is not an https URL' % (name, url),
                                   hint='Fix: give a URL such as https://api.mypurecloud.com')
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
                self._retry_wait(attempt, 'HTTP 400 rate limit exceeded', 'POST', TOKEN_PATH, None)
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
    def _retry_wait(self, attempt, reason, method, path, retry_after):
        delay = retry_after if retry_after is not None else backoff_delay(attempt, self._rng)
        self.retry_count += 1
        self._warn('Genesys Cloud: %s on %s %s; retry %d of %d in %.1f s%s'
                   % (reason, method, path, attempt, self.retries, delay,
                      ' (Retry-After)' if retry_after is not None else ''))
        self._sleep(delay)

    def _send(self, method, url, path, safe_to_repeat=None, **kwargs):
        """Send one request with the retry policy; return the final ``requests.Response``.

        Transport failures that exhaust the retries (or may not be repeated) raise GenesysError.
        """
        method = method.upper()
        if safe_to_repeat is None:
            safe_to_repeat = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            self.request_count += 1
            try:
                # never follow a redirect: the credentials (Basic, form) or the token would go with it
                resp = self.session.request(method, url, timeout=self.timeout, verify=self.verify,
                                            allow_redirects=False, **kwargs)
            except Exception as exc:  # requests' transport errors
                if not HAS_REQUESTS or not isinstance(exc, requests.exceptions.RequestException):
                    setting = _setting_error(exc, self.params)
                    if setting is not None:
                        raise setting
                    raise
                never_sent = _connection_never_sent(exc)
                tls = isinstance(exc, requests.exceptions.SSLError)
                retryable = not tls and (never_sent or safe_to_repeat) and not isinstance(
                    exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema))
                if retryable and attempt < self.retries:
                    attempt += 1
                    if not never_sent and method not in ('GET', 'HEAD', 'OPTIONS'):
                        self.unknown_attempts += 1
                    self._retry_wait(attempt, self.mask(_describe_exc(exc)), method, path, None)
                    continue
                error = self._transport_error(exc, method, path, attempt, never_sent,
                                              safe_to_repeat, url=url)
                error.never_sent = never_sent
                raise error
            status = resp.status_code
            if 300 <= status < 400:
                raise self._redirect_error(resp, method, path)
            if status in RETRY_STATUSES and (status == 429 or safe_to_repeat) and attempt < self.retries:
                attempt += 1
                retry_after = parse_retry_after(resp.headers.get('Retry-After'))
                self._retry_wait(attempt, 'HTTP %d' % status, method, path, retry_after)
                continue
            resp.genesys_retries = attempt
            return resp

    def _redirect_error(self, resp, method, path):
        location = _location_host(resp.headers.get('Location'))
        try:
            resp.close()
        except Exception:  # pragma: no cover
            pass
        host = 'login' if path == TOKEN_PATH else 'API'
        return GenesysError(
            status=resp.status_code, code='redirect.refused', method=method, path=path, client_id=self.client_id,
            correlation_id=_correlation_id(resp, None),
            message='the %s host answered with a redirect to %s; it was not followed (nothing was sent there)'
                    % (host, location),
            hint='Cause: Genesys Cloud does not redirect, so something between this host and Genesys Cloud (a proxy, '
                 'a gateway, a wrong api_url/login_url) answered. Fix: check api_url/login_url (or region) and '
                 'HTTPS_PROXY/NO_PROXY; the credentials and the token are never sent to a redirect target')

    def _transport_error(self, exc, method, path, attempt, never_sent, safe_to_repeat, url=None):
        # an exception text can quote a header value (requests' InvalidHeader quotes the Authorization header)
        text = self.mask(_describe_exc(exc))
        if url:  # which host could not be reached (scheme, host, port and path; never a query)
            text = '%s (%s)' % (text, self.mask(str(url).split('?', 1)[0].split('#', 1)[0]))
        if HAS_REQUESTS and isinstance(exc, requests.exceptions.SSLError):
            hint = ('Cause: the TLS certificate of the host could not be verified. Fix: set ca_path to the PEM '
                    'of the private CA (GENESYSCLOUD_CA_PATH); validate_certs=false only for a test endpoint')
            code = 'tls.error'
        elif not safe_to_repeat and not never_sent:
            hint = ('Cause: the connection failed after the request may have reached the server, so a %s is not '
                    'repeated automatically. Fix: check the current state and run the task again' % method)
            code = 'connection.error'
        else:
            hint = ('Cause: the host could not be reached (still after %d retries). Fix: check region/api_url, the '
                    'network and proxy settings (HTTPS_PROXY/NO_PROXY), or raise timeout/retries' % attempt)
            code = 'connection.error'
        return GenesysError(status=None, code=code, message=text, method=method, path=path, hint=hint,
                            client_id=self.client_id, retries=attempt)

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
        try:
            self.session.close()
        except Exception:  # pragma: no cover
            pass


def _location_host(location):
    """``scheme://host[:port]`` of a Location header: no path, query or credentials."""
    if not location:
        return 'an unnamed location (no Location header)'
    from ansible.module_utils.six.moves.urllib.parse import urlsplit
    try:
        parts = urlsplit(str(location).strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return 'an unparsable location'
    if not host:
        return 'a path on the same host'
    if ':' in host:
        host = '[%s]' % host
    return '%s://%s%s' % (parts.scheme or '?', host, (':%d' % port) if port else '')


def _masked_body(data, masker):
    """The parsed error body kept on the exception (for missing_permission), masked."""
    if isinstance(data, dict):
        return masker.mask(data)
    if isinstance(data, str):
        return masker.mask_text(data)[:300]
    return data


def _unreadable_answer(resp, method, path, client_id, mask=None):
    """A 2xx answer whose body is not the JSON the API sends (a proxy page, a cut-off answer)."""
    mask = mask or SecretMasker().mask_text
    ctype = resp.headers.get('Content-Type') or 'no Content-Type'
    try:
        snippet = ' '.join(mask(resp.text or '').split())[:100]
    except Exception:  # pragma: no cover
        snippet = ''
    return GenesysError(
        status=resp.status_code, code='invalid.response', method=method, path=path, client_id=client_id,
        message='the answer is not valid JSON (%s): %s' % (ctype, snippet),
        correlation_id=_correlation_id(resp, None),
        hint='Cause: something between this host and Genesys Cloud (a proxy, a captive portal, a gateway) answered '
             'instead of the API, or the answer was cut off; it is not used, so nothing is decided from it. Fix: '
             'check api_url/login_url and HTTPS_PROXY/NO_PROXY, then run the task again')


def _setting_error(exc, params):
    """GenesysError for a connection setting that requests refuses before connecting, else None."""
    text = _first_line(exc)
    if isinstance(exc, OSError) and 'CA certificate bundle' in text:
        return GenesysError(code='invalid.ca_path', message='ca_path %r is not a readable PEM file of CA '
                            'certificates (%s)' % (params.get('ca_path'), text),
                            hint='Fix: set ca_path (or GENESYSCLOUD_CA_PATH) to the PEM file of the private CA')
    if isinstance(exc, ValueError) and 'timeout' in text.lower():
        return GenesysError(code='invalid.timeout', message='timeout %r is not a positive number of seconds (%s)'
                            % (params.get('timeout'), text), hint='Fix: set timeout to a number of seconds above 0')
    return None


def _parse_body(resp):
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        try:
            return resp.text
        except Exception:  # pragma: no cover
            return None


def _correlation_id(resp, data):
    cid = resp.headers.get('ININ-Correlation-Id') if resp is not None else None
    if not cid and isinstance(data, dict):
        cid = data.get('contextId')
    return cid
