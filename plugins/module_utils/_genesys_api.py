# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the API facade, every Genesys Cloud platform path the
collection calls, once, with the action its failure names ("Failed to <action>: ...") and the advice.

* :func:`connect` builds the authenticated client of a task and closes it, in one place for every core
  (``with connect(params, ctx) as api:``); a setting or transport failure becomes the task failure.
* :class:`GenesysApi` has one method per request: the organization (:meth:`GenesysApi.organization`, one dict
  shape ``id``/``name``/``short_name``), the token (``/api/v2/tokens/me``), the identity providers (listing with
  its pages, per-type, custom, create/update/delete), the authorization roles, and the caller-given probe paths.
* A failed call raises :class:`ApiCallError`: a task failure (``GenesysModuleFail``) whose message is
  :func:`describe_api_error` of the action, carrying the :class:`GenesysError` (``.error``) for callers that turn a
  failure into a warning or a failed check instead.
* A write returns ``(status, data, None)``, or ``(None, None, error)`` when its outcome is unknown (the connection
  failed after the request may have reached the server and it was not repeated): the caller reads to find out.

The OAuth token endpoint is the grant table's (``_genesys_grants.TOKEN_PATH``); the provider paths are built by the
domain (``_genesys_provider_model.provider_path``: it validates the ids); they are imported when first used, so a
module that never touches a provider does not import the domain (and its certificate library).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import re

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_client import GenesysClient
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import GenesysModuleFail
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_transport import GenesysError, to_module_fail

ORG_PATH = '/api/v2/organizations/me'
TOKEN_INFO_PATH = '/api/v2/tokens/me'
ROLE_PATH = '/api/v2/authorization/roles/%s'

# Cause and fix of the platform's error codes of a provider write, and of the custom-provider limit.
_LIMIT_RE = re.compile(r'\b(30|limit|maximum|too many)\b', re.I)


def _error_advice(code):
    if code == 'invalid.nameid.format':
        from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import NAME_ID_FORMATS

        return ('the NameID format is not one Genesys Cloud accepts', 'set name_identifier_format to one of %s'
                % ', '.join(NAME_ID_FORMATS))
    return _ERROR_ADVICE.get(code)


_ERROR_ADVICE = {
    'missing.issuer.uri': ('the provider has no issuer URI', 'set issuer_uri to the IdP entity ID (or give '
                           'idp_metadata / idp_metadata_url)'),
    'invalid.target.url': ('the SSO target URL is not a valid https URL', 'set sso_target_uri to the IdP\'s '
                           'https SAML sign-in URL'),
    'certificate.invalid.base64': ('a certificate is not valid base64', 'give the IdP signing certificate as PEM, '
                                   'base64 DER or a file path'),
    'certificate.unparseable': ('a certificate could not be parsed as X.509', 'give the IdP signing certificate '
                                '(not a key or a chain file with other objects)'),
    'certificate.expired': ('a certificate has expired', 'get the current signing certificate from the IdP'),
    'certificate.not.yet.valid': ('a certificate is not valid yet', 'check the clock, or wait until its start '
                                  'date before adding it'),
    'missing.provider.name': ('the provider has no name', 'set name'),
    'provider.logo.too.large': ('the logo is larger than 25 kb', 'use a smaller SVG for logo_image_data'),
    'request.conflict': ('the provider was changed by someone else at the same time', 'run the task again'),
}


def describe_api_error(err, action):
    """One message for a GenesysError during ``action`` ('create the okta provider', ...): "Failed to <action>: "
    and the cause and fix (the platform's code explained when it is one of a provider write)."""
    code = getattr(err, 'code', None)
    status = getattr(err, 'status', None)
    message = getattr(err, 'message', '') or ''
    advice = _error_advice(code)
    if advice is None and status == 400 and _LIMIT_RE.search(message):
        from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import MAX_CUSTOM_PROVIDERS

        advice = ('the org already has the maximum of %d custom SSO providers' % MAX_CUSTOM_PROVIDERS,
                  'delete a provider you no longer use (state=absent) before adding another')
    if advice is None:
        text = err.describe() if hasattr(err, 'describe') else str(err)
        return 'Failed to %s: %s' % (action, text)
    parts = ['Failed to %s: HTTP %s %s%s.' % (action, status, code or 'error', (' - %s' % message) if message else '')]
    parts.append('Cause: %s. Fix: %s.' % advice)
    cid = getattr(err, 'correlation_id', None)
    if cid:
        parts.append('Correlation id: %s.' % cid)
    return ' '.join(parts)


class ApiCallError(GenesysModuleFail):
    """A failed call of the facade: the task failure "Failed to <action>: ...", with the platform's error
    (``.error``, a :class:`GenesysError`) and the action (``.action``)."""

    def __init__(self, err, action):
        super(ApiCallError, self).__init__(describe_api_error(err, action), **err.result_fields())
        self.error = err
        self.action = action


def organization_dict(data):
    """The one shape of the organization: dict(id, name, short_name) of a GET /api/v2/organizations/me body."""
    data = data if isinstance(data, dict) else {}
    return dict(id=data.get('id'), name=data.get('name'), short_name=data.get('thirdPartyOrgName'))


def _unknown_outcome(err):
    return err.status is None and err.code == 'connection.error' and not getattr(err, 'never_sent', False)


class GenesysApi:
    """Every platform call of the collection, on one authenticated client (:class:`GenesysClient`)."""

    def __init__(self, client):
        self.client = client

    # ---------------------------------------------------------------- the generic call
    def call(self, action, method, path, body=None, expect_404=False):
        """``(status, data)`` of one request; :class:`ApiCallError` naming ``action`` when it fails."""
        try:
            return self.client.request(method, path, body=body, expect_404=expect_404)
        except GenesysError as err:
            raise ApiCallError(err, action)

    def write(self, action, method, path, body=None, expect_404=False):
        """A write: ``(status, data, None)``, or ``(None, None, err)`` when its outcome is unknown (a read time-out
        or reset after the request may have left, not repeated: a POST never is; an idempotent PUT/DELETE is
        repeated by the transport, which counts it in ``unknown_attempts``). Any other failure: ApiCallError."""
        try:
            status, data = self.client.request(method, path, body=body, expect_404=expect_404)
            return status, data, None
        except GenesysError as err:
            if _unknown_outcome(err):
                return None, None, err
            raise ApiCallError(err, action)

    # ---------------------------------------------------------------- organization and token
    def organization(self, action='read the organization'):
        """dict(id, name, short_name) of the org of the token (``GET /api/v2/organizations/me``)."""
        dummy, data = self.call(action, 'GET', ORG_PATH)
        return organization_dict(data)

    def token_info(self, action='read the token information'):
        """The ``GET /api/v2/tokens/me`` body (the OAuth client, its roles, the org), a dict."""
        dummy, data = self.call(action, 'GET', TOKEN_INFO_PATH)
        return data if isinstance(data, dict) else {}

    def check_token(self, action='check the access token'):
        """``HEAD /api/v2/tokens/me``: 2xx when the token is valid."""
        self.call(action, 'HEAD', TOKEN_INFO_PATH)

    # ---------------------------------------------------------------- authorization
    def role(self, role_id, action=None):
        """The ``GET /api/v2/authorization/roles/{roleId}`` body (name, permissionPolicies)."""
        dummy, data = self.call(action or 'read the role %s' % role_id, 'GET', ROLE_PATH % role_id)
        return data if isinstance(data, dict) else {}

    # ---------------------------------------------------------------- probe paths (genesys_oauth_check)
    def probe(self, path):
        """``(status, data)`` of a ``GET`` of a caller-given (and checked) ``/api/v2/`` path."""
        return self.call('probe %s' % path, 'GET', path)

    # ---------------------------------------------------------------- identity providers
    def list_providers(self, action='list the identity providers', on_page=None):
        """Every entry of ``GET /api/v2/identityproviders`` (both families), its pages followed (the domain checks
        the entries and the ``nextUri``); ``on_page(data)`` sees each page's body (the probe records the paging)."""
        from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import list_entities

        def get_page(path):
            data = self.call(action, 'GET', path)[1]
            data = data if isinstance(data, dict) else {}
            if on_page is not None:
                on_page(data)
            return data

        return list_entities(get_page)

    def provider_path(self, ptype, provider_id=None):
        from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import provider_path

        return provider_path(ptype, provider_id)

    def read_provider(self, ptype, provider_id=None, label=None, action=None):
        """The provider (a dict), or None when the platform answers 404 (``GET /api/v2/identityproviders/{type}``,
        or ``/{id}`` of a custom one)."""
        status, data = self.call(action or 'read the %s identity provider' % (label or ptype), 'GET',
                                 self.provider_path(ptype, provider_id), expect_404=True)
        if status == 404:
            return None
        return data if isinstance(data, dict) else {}

    def create_provider(self, body, action):
        """``POST /api/v2/identityproviders`` (a custom provider): ``(status, data, unknown)`` as :meth:`write`."""
        return self.write(action, 'POST', self.provider_path('custom'), body=body)

    def put_provider(self, ptype, provider_id, body, action):
        """``PUT`` of a per-type provider or of a custom one by id: ``(status, data, unknown)``."""
        return self.write(action, 'PUT', self.provider_path(ptype, provider_id), body=body)

    def delete_provider(self, ptype, provider_id, action):
        """``DELETE`` of a per-type provider or of a custom one by id (404 = already gone):
        ``(status, data, unknown)``."""
        return self.write(action, 'DELETE', self.provider_path(ptype, provider_id), expect_404=True)


@contextlib.contextmanager
def connect(params, ctx, client=None, warn=None, **client_options):
    """``with connect(params, ctx) as api:`` the facade on the task's client, built here and closed here; a
    setting error (before any request) or a failure the facade did not name becomes the task failure.

    ``client``: an existing client (tests, a core that was given one); it is closed here too. ``warn``: where the
    client's warnings go (default ``ctx.warn``); ``client_options``: more keyword arguments of the client.
    """
    if client is None:
        try:
            client = GenesysClient(params, warn=warn or ctx.warn, **client_options)
        except GenesysError as err:
            raise to_module_fail(err)
    try:
        yield GenesysApi(client)
    except GenesysError as err:
        raise to_module_fail(err)
    finally:
        if hasattr(client, 'close'):
            client.close()
