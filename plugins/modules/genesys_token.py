#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: genesys_token
short_description: Get an OAuth access token for the Genesys Cloud platform API
version_added: 1.0.0
description:
  - Performs an OAuth grant against the login service of a Genesys Cloud region
    (C(POST https://login.<domain>/oauth/token)) and returns the access token, so later tasks can
    reuse one token instead of authenticating again.
  - The default grant is B(client credentials) (the grant for automation); O(client_id) and
    O(client_secret) are sent as HTTP Basic authentication, without any scope; the token's access
    comes from the roles of the OAuth client.
  - Other grants are the B(password) grant (only for OAuth clients of grant type Password; most orgs
    use client credentials), the B(SAML2 bearer) grant (a base64 SAML assertion plus the org short
    name) and V(token), which only checks a token you already have (C(HEAD /api/v2/tokens/me)).
  - Minting a token changes no configuration, so the module always reports C(changed=false) and runs
    in check mode too.
  - The task result is B(censored) (as if C(no_log=true) were set on the task) at every verbosity, in
    every callback and in ansible-runner/AWX events, while the variable you C(register) still holds the
    token. A failed task is not censored, so its error message stays visible (it never contains a
    secret).
  - A token rate limit answer of the login service (HTTP 400 C(invalid_request) "rate limit exceeded")
    is retried with backoff; other token errors (C(invalid_client), C(unsupported_grant_type), a
    disabled client) fail with the likely cause and the fix.
extends_documentation_fragment:
  - genesyscloud.sso.genesys
  - genesyscloud.sso.genesys.actiongroup_genesys
attributes:
  check_mode:
    description: Runs in check mode as in a normal run; nothing is ever changed.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
requirements:
  - requests (with the collection's other requirements, C(pip install -r requirements.txt) from the root of the
    installed collection)
options:
  grant_type:
    description:
      - The OAuth grant to perform (the grant options are described with the connection options).
      - V(token) only verifies O(access_token) (C(HEAD /api/v2/tokens/me)); the returned RV(access_token) is
        then masked because it equals a C(no_log) input. If O(client_id)/O(client_secret) are given too and
        the token is refused, a new token is minted with client credentials and returned.
      - Unlike the other modules, the default does not depend on O(access_token).
    type: str
    choices: [client_credentials, password, saml2_bearer, token]
    default: client_credentials
  include_organization:
    description:
      - Also read C(GET /api/v2/organizations/me) and return RV(organization) (id, name and short name).
    type: bool
    default: false
notes:
  - B(Censoring.) The action plugin of this module marks a successful result with C(_ansible_no_log),
    so ansible-core shows C(censored) instead of the result in every callback (all verbosities,
    including C(-vvvv)) and ansible-runner events, while C(register) keeps the full result. This was
    verified on ansible-core 2.19 both for the default controller-side execution and with
    C(genesyscloud_sso_execution=module) (the action plugin adds the marker to the module's result).
    A module cannot censor its own result (ansible-core strips C(_ansible_*) keys from module output
    with a warning), so if the module is ever run without its action plugin, set C(no_log=true) on
    the task yourself.
  - B(Passing the token on.) Register the result and give RV(access_token) to the other modules of the
    collection with C(module_defaults) for the action group C(group/genesyscloud.sso.genesys), or as
    their O(access_token) option. O(access_token) is C(no_log), so it is masked in their results too.
  - Do not print the registered variable (for example with M(ansible.builtin.debug)); that would show
    the token.
  - Options may also come from the environment (E(GENESYSCLOUD_REGION), E(GENESYSCLOUD_OAUTHCLIENT_ID),
    E(GENESYSCLOUD_OAUTHCLIENT_SECRET), E(GENESYSCLOUD_API_URL), E(GENESYSCLOUD_LOGIN_URL),
    E(GENESYSCLOUD_ACCESS_TOKEN), E(GENESYSCLOUD_CA_PATH)).
seealso:
  - module: genesyscloud.sso.genesys_oauth_check
  - name: Genesys Cloud OAuth client credentials grant
    description: How the login service issues tokens to OAuth clients.
    link: https://developer.genesys.cloud/authorization/platform-auth/use-client-credentials
author:
  - genesyscloud.sso contributors (@genesyscloud)
'''

EXAMPLES = r'''
# In a play over the orgs (e.g. hosts: genesys_orgs, connection: local, gather_facts: false):
# get a token once, then use it for every other module of the play.
- name: Client-credentials grant
  genesyscloud.sso.genesys_token:
    region: eu-west-1
    client_id: "{{ genesys_client_id }}"
    client_secret: "{{ genesys_client_secret }}"
  register: genesys_auth

- name: Later tasks reuse the token through the action group
  module_defaults:
    group/genesyscloud.sso.genesys:
      region: eu-west-1
      access_token: "{{ genesys_auth.access_token }}"
  block:
    - name: Check the automation client still works
      genesyscloud.sso.genesys_oauth_check:
        client_id: "{{ bot_client_id }}"
        client_secret: "{{ bot_client_secret }}"

- name: Token and organization from environment variables (GENESYSCLOUD_REGION, ..._OAUTHCLIENT_ID/_SECRET)
  genesyscloud.sso.genesys_token:
    include_organization: true
  register: genesys_auth

- name: Token of the bundled emulator (private CA)
  genesyscloud.sso.genesys_token:
    api_url: "{{ emulator.url }}"
    login_url: "{{ emulator.url }}"
    ca_path: "{{ emulator.ca_path }}"
    client_id: admin-client-id
    client_secret: "{{ admin_secret }}"

- name: SAML2 bearer grant
  genesyscloud.sso.genesys_token:
    region: us-east-1
    grant_type: saml2_bearer
    client_id: "{{ saml_client_id }}"
    client_secret: "{{ saml_client_secret }}"
    assertion: "{{ saml_assertion_b64 }}"
    org_name: acme-prod

- name: Check that a token from elsewhere is still valid
  genesyscloud.sso.genesys_token:
    region: us-east-1
    grant_type: token
    access_token: "{{ lookup('ansible.builtin.env', 'MY_TOKEN') }}"
'''

RETURN = r'''
access_token:
  description:
    - The access token; send it in the C(Authorization) header as C(Bearer <token>), or give it to the O(access_token)
      option of the other modules.
    - Masked when O(grant_type=token) (it equals the C(no_log) input).
  returned: success
  type: str
  sample: "********"
token_type:
  description: Token type, always C(bearer).
  returned: success
  type: str
  sample: bearer
expires_in:
  description: Lifetime of the token in seconds (the client's C(accessTokenValiditySeconds)); null for O(grant_type=token).
  returned: success
  type: int
  sample: 86400
expires_at:
  description: When the token expires, ISO 8601 UTC; null for O(grant_type=token).
  returned: success
  type: str
  sample: "2026-11-30T20:10:00Z"
grant_type:
  description: The grant that was performed.
  returned: success
  type: str
  sample: client_credentials
api_url:
  description: The API base URL used (from O(region) or O(api_url)).
  returned: success
  type: str
  sample: https://api.mypurecloud.ie
login_url:
  description: The login (OAuth) base URL used.
  returned: success
  type: str
  sample: https://login.mypurecloud.ie
organization:
  description: The org the token belongs to.
  returned: when O(include_organization=true)
  type: dict
  contains:
    id:
      description: Organization id.
      type: str
      sample: 5d3e1a2b-0000-4000-8000-000000000001
    name:
      description: Display name of the org.
      type: str
      sample: Acme Production
    short_name:
      description: Org short name (C(thirdPartyOrgName)), used as C(orgName) in SAML.
      type: str
      sample: acme-prod
'''

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import run_module
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_token_core import SPEC, core


def main():
    run_module(SPEC, core)


if __name__ == '__main__':
    main()
