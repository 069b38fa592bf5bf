# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options shared by every module of the collection.
    DOCUMENTATION = r'''
options:
  region:
    description:
      - Genesys Cloud region of the org, as an AWS-style key (V(us-east-1), V(eu-west-1), ...), its SDK
        spelling (V(us_east_1)) or the bare domain (V(mypurecloud.ie)).
      - Gives the API host C(https://api.<domain>) and the login host C(https://login.<domain>).
      - Ignored for a host that O(api_url) or O(login_url) sets.
      - Falls back to the E(GENESYSCLOUD_REGION) environment variable.
    type: str
  api_url:
    description:
      - Base URL of the platform API, overriding the one O(region) gives, for example the URL of the
        bundled Genesys Cloud emulator.
      - Must be an C(https://) URL (the client secret is sent to it); C(http://) URLs and URLs with
        spaces, line breaks or control characters are refused before any request.
      - Falls back to the E(GENESYSCLOUD_API_URL) environment variable.
    type: str
  login_url:
    description:
      - Base URL of the OAuth login service, overriding the one O(region) gives.
      - When only O(api_url) is set and it starts with C(https://api.), the login host is derived
        from it as the SDKs do; otherwise it defaults to O(api_url).
      - Must be an C(https://) URL (the client secret is sent to it); C(http://) URLs and URLs with
        spaces, line breaks or control characters are refused before any request.
      - Falls back to the E(GENESYSCLOUD_LOGIN_URL) environment variable.
    type: str
  grant_type:
    description:
      - The OAuth grant the module performs to get its token (the options of every grant are the same in
        every module of the collection, so one C(module_defaults) entry for the action group serves them all).
      - V(client_credentials) needs O(client_id) and O(client_secret). It is the grant for automation; the
        token's access comes from the roles of the OAuth client.
      - V(password) needs O(client_id), O(client_secret), O(username) and O(password). The OAuth client must
        be of grant type Password. Genesys documents client credentials for automation; prefer it.
      - V(saml2_bearer) needs O(client_id), O(client_secret), O(assertion) and O(org_name). O(assertion) is a
        base64 SAML 2.0 assertion of the org's identity provider, O(org_name) the org short name.
      - V(token) needs O(access_token). The token is used as it is; when O(client_id)/O(client_secret) are
        given too and the platform answers 401, a new token is minted once with client credentials.
      - When not set, V(token) if O(access_token) is given, else V(client_credentials)
        (M(genesyscloud.sso.genesys_token) defaults to V(client_credentials)).
      - Every grant's token request is a C(POST <login_url>/oauth/token) with O(client_id) and O(client_secret)
        as HTTP Basic authentication, without any scope.
    type: str
    choices: [client_credentials, password, saml2_bearer, token]
  client_id:
    description:
      - ID of the OAuth client the module authenticates with (the grants V(client_credentials),
        V(password) and V(saml2_bearer) of O(grant_type)).
      - Falls back to the E(GENESYSCLOUD_OAUTHCLIENT_ID) environment variable.
    type: str
  client_secret:
    description:
      - Secret of O(client_id). Never logged or returned.
      - Falls back to the E(GENESYSCLOUD_OAUTHCLIENT_SECRET) environment variable.
    type: str
  access_token:
    description:
      - An access token to use instead of a grant (O(grant_type=token)), for example the one
        M(genesyscloud.sso.genesys_token) returned. Never logged or returned.
      - Surrounding whitespace (a trailing line break) is removed; a token with a space, line break or
        control character inside it is refused before any request.
      - When both a token and client credentials are given (and O(grant_type) is not set, or is V(token)),
        the token is used first and the credentials get a new token once if the platform answers 401.
      - Falls back to the E(GENESYSCLOUD_ACCESS_TOKEN) environment variable.
    type: str
  username:
    description:
      - User name (email) for O(grant_type=password).
    type: str
  password:
    description:
      - Password of O(username) for O(grant_type=password). Never logged or returned.
    type: str
  assertion:
    description:
      - Base64-encoded SAML 2.0 assertion for O(grant_type=saml2_bearer). Never logged or returned.
    type: str
  org_name:
    description:
      - Short name of the org (C(thirdPartyOrgName)) for O(grant_type=saml2_bearer), sent as C(orgName).
      - The same fact as the O(genesyscloud.sso.genesys_identity_provider#module:org_short_name) option of
        M(genesyscloud.sso.genesys_identity_provider) (the org short name in its service provider values); that
        module takes O(org_name) as the org short name when its own option is not set, and fails before any
        request when both are set and differ.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of the API and login hosts.
      - Set to V(false) only for a test endpoint; the module then warns.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to verify the API and login hosts with, for a private CA or the
        bundled emulator's CA.
      - Falls back to the E(GENESYSCLOUD_CA_PATH) environment variable.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request before it counts as failed (and is retried when safe).
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a transient failure (HTTP 429, 502, 503, 504, a
        connection reset or a time-out) before the task fails. V(0) disables retries.
      - C(Retry-After) is honoured (capped at 60 seconds); otherwise the wait grows exponentially
        with jitter.
    type: int
    default: 5
notes:
  - All modules of this collection belong to the action group C(genesyscloud.sso.genesys), so the
    connection options can be set once per play under C(module_defaults) with the key
    C(group/genesyscloud.sso.genesys).
  - The modules run in the controller process through their action plugins; set the variable
    C(genesyscloud_sso_execution=module) to run them as ordinary modules instead.
  - The environment fallbacks (E(GENESYSCLOUD_REGION), E(GENESYSCLOUD_API_URL), ...) read the task's
    C(environment) keyword (play, block and task levels) over the controller's own environment on both
    execution paths, as a module process would see them. When a variable the task's C(environment) sets
    has a different value in the controller's own environment, the task fails before any request, naming
    the variable and both sources (never its value); an option given in the task wins over both.
  - Redirects are never followed, on the login host (the token request) or the API host. Genesys Cloud
    does not redirect, so a 3xx answer fails the task naming the status and the host it pointed to.
  - Secrets (O(client_secret), O(access_token), passwords, assertions and every token a module obtains)
    are masked in results, warnings and messages in every form they can take (URL-encoded,
    JSON-escaped, base64, the HTTP Basic credential); C(Authorization), Bearer and Basic credentials in
    an answer the platform (or a proxy) echoes are masked too, and any PEM private-key block is removed
    from results and from C(invocation.module_args).
'''

    ACTIONGROUP_GENESYS = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/genesyscloud.sso.genesys) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - genesyscloud.sso.genesys
'''
