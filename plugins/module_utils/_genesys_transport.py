# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the HTTP transport under every request the collection sends.

It owns how a request travels, never what it means (the client adds tokens, the facade the Genesys paths):

* one ``requests.Session`` per :class:`Transport` (User-Agent, ``Accept: application/json``, proxies from the
  environment), a time-out per request, TLS verification (``validate_certs``, ``ca_path``; verify is passed on
  every request, because a session-level verify loses against ``REQUESTS_CA_BUNDLE``);
* :func:`check_https_url`, the one validator of an ``https://`` URL (the API and login hosts, the IdP metadata URL
  and its redirect targets, the provider URLs written to the org); each caller words the refusal;
* retries of 429 / 502 / 503 / 504 / connection resets / time-outs with ``Retry-After`` (capped,
  :func:`parse_retry_after`) or jittered exponential backoff (:func:`backoff_delay`), bounded by ``retries``, one
  warning per retry; a request that is not safe to repeat is retried only when it provably never left (connect
  time-out, connection refused) or on 429;
* replay accounting: ``unknown_attempts`` counts the writes whose attempt may have reached the server and that were
  sent again (a late first attempt can still land; the provider core waits for it before a rollback);
* redirects are never followed (:meth:`Transport.redirect_error`): the credentials or the token would go with them;
* secret masking hooks: every text taken from an exception or an answer goes through the masker the caller gives.

:class:`GenesysError` is the one failure type of the resource layer: :meth:`GenesysError.describe` names what
failed, the Genesys code, the likely cause and the fix.

The metadata download (``_genesys_metadata.fetch_idp_metadata``) goes through the same stack
(:meth:`Transport.open_stream`).
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
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail, SecretMasker

# What a missing runtime library tells the user: Ansible's generic "Failed to import the required Python library"
# does not say that the collection brings its own requirements file.
REQUIREMENTS_HINT = ("The genesyscloud.sso collection needs it: install the collection's requirements: pip install -r "
                     "requirements.txt (requests, cryptography, defusedxml), with the pip of the Python above; the "
                     "file is at the root of the installed collection (ansible_collections/genesyscloud/sso/"
                     "requirements.txt)")

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'genesyscloud.sso/%s (Ansible collection)' % COLLECTION_VERSION

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'genesyscloud.sso/%s (Ansible collection)' % COLLECTION_VERSION
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 5


# ---------------------------------------------------------------------------------------------------
# the one https URL validator
# ---------------------------------------------------------------------------------------------------
# spaces, C0 controls (NUL, CR/LF, tab...), DEL, C1 controls and the Unicode line/paragraph separators: never part of
# a URL (header injection, broken redirects, a login page that breaks)
URL_BAD_CHAR_RE = re.compile(u'[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]')


class UrlProblem(ValueError):
    """Why :func:`check_https_url` refused a URL; the caller words the message.

    ``kind``: ``empty``; ``char`` (``char`` and 1-based ``position`` set); ``authority`` (unparsable host or port,
    ``detail`` says why); ``http`` (plain ``http://``); ``scheme`` (any other scheme, or none); ``host`` (no host);
    ``userinfo`` (``user:password@`` where it is not allowed); ``base`` (a query or fragment in a base URL).
    """

    def __init__(self, kind, url, char=None, position=None, detail=None):
        self.kind = kind
        self.url = url
        self.char = char
        self.position = position
        self.detail = detail
        super(UrlProblem, self).__init__(kind)


def check_https_url(url, userinfo=True, base=False):
    """``url`` stripped of surrounding whitespace when it is a clean ``https://`` URL with a host, else raise
    :class:`UrlProblem`. Nothing is sent for a refused URL.

    ``userinfo``: a ``user[:password]@`` part is allowed (an IdP metadata URL may carry one; the callers mask it);
    ``base``: the URL is a base others are appended to (the API and login hosts), so it takes no query or fragment.
    """
    if not isinstance(url, str) or not url.strip():
        raise UrlProblem('empty', url)
    url = url.strip()
    found = URL_BAD_CHAR_RE.search(url)
    if found:
        raise UrlProblem('char', url, char=found.group(), position=found.start() + 1)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError as exc:
        raise UrlProblem('authority', url, detail=str(exc))
    scheme = parts.scheme.lower()
    if scheme == 'http':
        raise UrlProblem('http', url)
    if scheme != 'https' or not url[len(scheme):].startswith('://'):
        raise UrlProblem('scheme', url)
    if not host:
        raise UrlProblem('host', url)
    if not userinfo and '@' in parts.netloc:
        raise UrlProblem('userinfo', url)
    if base and (parts.query or parts.fragment or '?' in url or '#' in url):
        raise UrlProblem('base', url)
    return url


RETRY_STATUSES = frozenset([429, 502, 503, 504])
IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
RETRY_AFTER_CAP = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0

_PERMISSION_RE = re.compile(r'\b([a-zA-Z][a-zA-Z0-9]*(?::[a-zA-Z0-9*]+){2,})\b')
_SCOPE_RE = re.compile(r'scope\s+\[?([a-z][a-z0-9:-]*)\]?')


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


def require_requests():
    """Raise the :class:`GenesysError` that names the missing ``requests`` library and the requirements file."""
    if not HAS_REQUESTS:
        raise GenesysError(code='missing.library', message=missing_required_lib('requests'), hint=REQUIREMENTS_HINT)


def transport_settings(params):
    """``(timeout, retries)`` of a parameter dict, checked before anything else (None: the defaults)."""
    timeout = params.get('timeout')
    timeout_s = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not 0 < timeout_s < 86400:  # also refuses nan and inf
        raise GenesysError(code='invalid.timeout', message='timeout %r is not a number of seconds above 0' % timeout,
                           hint='Fix: set timeout to the seconds to wait for each request, e.g. 30')
    retries = params.get('retries')
    return timeout_s, (DEFAULT_RETRIES if retries is None else max(0, int(retries)))


class Transport:
    """How the requests of one task travel: one session, TLS, time-outs, retries, replay accounting, no redirects.

    ``params``: the connection options (``timeout``, ``retries``, ``validate_certs``, ``ca_path``); ``host``: the
    host named in the TLS warning; ``warn`` receives warnings (one per retry, TLS verification off); ``masker``
    (a :class:`SecretMasker`) masks every text taken from an exception; ``client_id`` is named in errors.
    """

    def __init__(self, params, host=None, warn=None, sleep=time.sleep, rng=None, session=None, masker=None,
                 client_id=None, tls_warning=None):
        require_requests()
        self.params = params
        self.timeout, self.retries = transport_settings(params)
        self._warn = warn or (lambda msg: None)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.masker = masker if masker is not None else SecretMasker()
        self.client_id = client_id
        self.request_count = 0
        self.retry_count = 0
        # writes whose attempt failed after it may have reached the server and that were then sent again: a late
        # first attempt can still land (the provider core waits for it before a rollback)
        self.unknown_attempts = 0
        self.session = session or requests.Session()
        self.session.headers.update({'User-Agent': USER_AGENT, 'Accept': 'application/json'})
        # verify is passed on every request: a session-level verify loses against REQUESTS_CA_BUNDLE
        if params.get('validate_certs') is False:
            self.verify = False
            self._warn(tls_warning or ('validate_certs is false: the TLS certificate of %s is not verified; use '
                                       'ca_path for a private CA instead' % host))
            try:
                import urllib3
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            except Exception:  # pragma: no cover
                pass
        else:
            self.verify = params.get('ca_path') or True
        self.session.verify = self.verify

    def mask(self, text):
        return self.masker.mask_text(text)

    def retry_wait(self, attempt, reason, method, path, retry_after):
        """Wait before retry number ``attempt`` (``Retry-After`` when given, else backoff), with one warning."""
        delay = retry_after if retry_after is not None else backoff_delay(attempt, self._rng)
        self.retry_count += 1
        self._warn('Genesys Cloud: %s on %s %s; retry %d of %d in %.1f s%s'
                   % (reason, method, path, attempt, self.retries, delay,
                      ' (Retry-After)' if retry_after is not None else ''))
        self._sleep(delay)

    def send(self, method, url, path, safe_to_repeat=None, host='API', **kwargs):
        """Send one request with the retry policy; return the final ``requests.Response``.

        ``path`` names the request in messages (never the query); ``host`` (``API``, ``login``) names the host a
        redirect came from. Transport failures that exhaust the retries (or may not be repeated) raise
        :class:`GenesysError`; a 3xx answer raises :meth:`redirect_error`.
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
                    self.retry_wait(attempt, self.mask(_describe_exc(exc)), method, path, None)
                    continue
                error = self.transport_error(exc, method, path, attempt, never_sent, safe_to_repeat, url=url)
                error.never_sent = never_sent
                raise error
            status = resp.status_code
            if 300 <= status < 400:
                raise self.redirect_error(resp, method, path, host=host)
            if status in RETRY_STATUSES and (status == 429 or safe_to_repeat) and attempt < self.retries:
                attempt += 1
                retry_after = parse_retry_after(resp.headers.get('Retry-After'))
                self.retry_wait(attempt, 'HTTP %d' % status, method, path, retry_after)
                continue
            resp.genesys_retries = attempt
            return resp

    def redirect_error(self, resp, method, path, host='API'):
        """The refusal of a 3xx answer: names the status and the host it pointed to (never its path or query)."""
        location = _location_host(resp.headers.get('Location'))
        try:
            resp.close()
        except Exception:  # pragma: no cover
            pass
        return GenesysError(
            status=resp.status_code, code='redirect.refused', method=method, path=path, client_id=self.client_id,
            correlation_id=_correlation_id(resp, None),
            message='the %s host answered with a redirect to %s; it was not followed (nothing was sent there)'
                    % (host, location),
            hint='Cause: Genesys Cloud does not redirect, so something between this host and Genesys Cloud (a proxy, '
                 'a gateway, a wrong api_url/login_url) answered. Fix: check api_url/login_url (or region) and '
                 'HTTPS_PROXY/NO_PROXY; the credentials and the token are never sent to a redirect target')

    def transport_error(self, exc, method, path, attempt, never_sent, safe_to_repeat, url=None):
        """The :class:`GenesysError` of a request that could not be completed (texts masked)."""
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

    def open_stream(self, url, headers=None, timeout=None):
        """One ``GET`` of ``url`` as a stream (the IdP metadata download): this session's TLS settings, no redirect
        followed (a 3xx is returned for the caller to check its target), no retry (the caller has one deadline).
        Returns the ``requests.Response``; ``requests`` exceptions propagate for the caller to word."""
        self.request_count += 1
        return self.session.request('GET', url, headers=headers, timeout=timeout or self.timeout, verify=self.verify,
                                    allow_redirects=False, stream=True)

    def close(self):
        try:
            self.session.close()
        except Exception:  # pragma: no cover
            pass


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


def _location_host(location):
    """``scheme://host[:port]`` of a Location header: no path, query or credentials."""
    if not location:
        return 'an unnamed location (no Location header)'
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
