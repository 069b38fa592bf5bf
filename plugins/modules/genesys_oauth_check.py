#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: genesys_oauth_check
short_description: Prove that Genesys Cloud OAuth client-credentials clients still work
version_added: 1.0.0
description:
  - For each OAuth client given, performs the B(client-credentials grant), reads the token's own
    information with C(GET /api/v2/tokens/me) (organization, client name, grant type, state, roles) and
    calls each path of O(probe_paths) (default C(/api/v2/organizations/me)) with the token.
  - Optional expectations (O(expect), per client or for all) are compared with what the platform
    answered (organization id or short name, client name, grant type, state, role ids, minimum token
    lifetime).
  - Returns a structured RV(report) with one entry per client (each check with C(name), C(passed) and
    C(detail); token lifetime; organization; client; roles; status and latency of every probe).
  - Fails with a message listing every failed check of every client unless O(fail_on_error=false).
    A client whose token grant fails (wrong secret, disabled client, rate limit) is a failed check,
    and the other clients are still checked.
  - The module is read-only; it never changes anything (C(changed=false)) and runs the same in check mode.
  - Never returns a token or a secret.
  - Typical use is before and after switching an org to SAML single sign-on, to prove that the org's
    bots and integrations keep working.
extends_documentation_fragment:
  - genesyscloud.sso.genesys
  - genesyscloud.sso.genesys.actiongroup_genesys
attributes:
  check_mode:
    description: Read-only; runs the same checks in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
requirements:
  - requests (with the collection's other requirements, C(pip install -r requirements.txt) from the root of the
    installed collection)
options:
  client_id:
    description:
      - The single client to check when O(clients) is not given (with O(client_secret)).
      - Ignored when O(clients) is given.
    type: str
  client_secret:
    description:
      - Secret of O(client_id). Never logged or returned.
    type: str
  access_token:
    description:
      - Not used by this module (each client is checked with its own client-credentials grant); it may
        be set through C(module_defaults) without effect.
    type: str
  grant_type:
    description:
      - Not used by this module (each client is checked with its own client-credentials grant), whatever
        grant the other modules of the play use. It (and O(username), O(password), O(assertion), O(org_name))
        may be set through C(module_defaults) for the action group without effect; the grant's own
        requirements are still checked (for example O(grant_type=password) needs O(username)).
    type: str
  username:
    description:
      - Not used by this module (see O(grant_type)).
    type: str
  password:
    description:
      - Not used by this module (see O(grant_type)). Never logged or returned.
    type: str
  assertion:
    description:
      - Not used by this module (see O(grant_type)). Never logged or returned.
    type: str
  org_name:
    description:
      - Not used by this module (see O(grant_type)).
    type: str
  clients:
    description:
      - The clients to check, in one task.
      - When not given, the top-level O(client_id)/O(client_secret) is the client to check.
    type: list
    elements: dict
    suboptions:
      client_id:
        description: OAuth client id.
        type: str
        required: true
      client_secret:
        description: OAuth client secret. Never logged or returned.
        type: str
        required: true
      name:
        description: A label for the report and messages (default the client id).
        type: str
      probe_paths:
        description: API paths to GET with this client's token, instead of the top-level O(probe_paths).
        type: list
        elements: str
      expect:
        description:
          - Expectations for this client; each key set here replaces the same key of the top-level
            O(expect). Same suboptions as O(expect).
        type: dict
        suboptions:
          organization_id:
            description: Expected organization id.
            type: str
          organization_name:
            description: Expected org short name (C(thirdPartyOrgName)).
            type: str
          client_name:
            description: Expected OAuth client name.
            type: str
          grant_type:
            description: Expected grant type, for example V(CLIENT-CREDENTIALS) (compared case-insensitively).
            type: str
          state:
            description: Expected client state, for example V(active) (compared case-insensitively).
            type: str
          role_ids:
            description: Role ids that must all be among the client's roles.
            type: list
            elements: str
          min_token_lifetime:
            description: Minimum token lifetime in seconds.
            type: int
  probe_paths:
    description:
      - API paths (starting with C(/api/v2/)) to GET with each client's token; each must answer 2xx.
      - A path with a scheme or host, a space, a line break, a control character, or a dot segment (C(..), C(.),
        also percent-encoded as C(%2e%2e)) or an empty or backslash segment, also encoded, is refused before any
        request (the token is only ever sent to the API host, and only below C(/api/v2/)).
      - Use paths the client's role allows, for example the endpoints a bot really uses.
    type: list
    elements: str
    default: ['/api/v2/organizations/me']
  expect:
    description:
      - Expectations checked for every client (a client's own O(clients[].expect) overrides keys).
    type: dict
    suboptions:
      organization_id:
        description: Expected organization id.
        type: str
      organization_name:
        description:
          - Expected org short name (C(thirdPartyOrgName)); read from C(GET /api/v2/organizations/me).
        type: str
      client_name:
        description: Expected OAuth client name.
        type: str
      grant_type:
        description: Expected grant type, for example V(CLIENT-CREDENTIALS) (compared case-insensitively).
        type: str
      state:
        description: Expected client state, for example V(active) (compared case-insensitively).
        type: str
      role_ids:
        description: Role ids that must all be among the client's roles.
        type: list
        elements: str
      min_token_lifetime:
        description: Minimum token lifetime in seconds.
        type: int
  fail_on_error:
    description:
      - Fail the task when any check of any client fails.
      - With V(false) the task succeeds and RV(passed) and RV(failed_clients) tell the outcome.
    type: bool
    default: true
notes:
  - Each client gets its own HTTP session and token; retries and time-outs follow O(retries) and
    O(timeout), and a rate-limited client is retried before its check fails.
seealso:
  - module: genesyscloud.sso.genesys_token
author:
  - genesyscloud.sso contributors (@genesyscloud)
'''

EXAMPLES = r'''
- name: Check one client (credentials from GENESYSCLOUD_* environment variables or module_defaults)
  genesyscloud.sso.genesys_oauth_check:
    region: eu-west-1
    client_id: "{{ bot_client_id }}"
    client_secret: "{{ bot_client_secret }}"

- name: Check every preserved client with expectations, and keep going on failure
  genesyscloud.sso.genesys_oauth_check:
    region: us-east-1
    clients:
      - name: wfm-bot
        client_id: "{{ wfm_bot_id }}"
        client_secret: "{{ wfm_bot_secret }}"
        probe_paths: [/api/v2/organizations/me, /api/v2/oauth/clients]
      - name: crm-sync
        client_id: "{{ crm_id }}"
        client_secret: "{{ crm_secret }}"
        expect:
          role_ids: [3b7c0d1e-0000-4000-8000-000000000042]
    expect:
      organization_name: acme-prod
      grant_type: CLIENT-CREDENTIALS
      state: active
      min_token_lifetime: 3600
    fail_on_error: false
  register: oauth_check

- name: Stop when a client broke
  ansible.builtin.assert:
    that: oauth_check.passed
    fail_msg: "Clients failing: {{ oauth_check.failed_clients | join(', ') }}"

- name: Against the bundled emulator
  genesyscloud.sso.genesys_oauth_check:
    api_url: "{{ emulator.url }}"
    login_url: "{{ emulator.url }}"
    ca_path: "{{ emulator.ca_path }}"
    client_id: bot
    client_secret: "{{ bot_secret }}"
'''

RETURN = r'''
passed:
  description: Whether every check of every client passed.
  returned: always
  type: bool
  sample: false
failed_clients:
  description: Label (name, else client id) of every client with a failed check.
  returned: always
  type: list
  elements: str
  sample: [crm-sync]
msg:
  description: Summary; when the task fails, every failed check with its detail.
  returned: always
  type: str
  sample: "all 2 OAuth client(s) passed"
report:
  description: One entry per client, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    client_id:
      description: The client id.
      type: str
      sample: 9b1c4a0e-0000-4000-8000-00000000b0b1
    name:
      description: The label given in O(clients[].name), or null.
      type: str
      sample: wfm-bot
    passed:
      description: Whether every check of this client passed.
      type: bool
      sample: true
    checks:
      description:
        - Every check made, in order. Names are C(token), C(token_info), C(probe <path>) and
          C(expect_<key>) for each expectation.
      type: list
      elements: dict
      sample:
        - {name: token, passed: true, detail: "client-credentials grant succeeded (token valid for 86400 s)"}
        - {name: probe /api/v2/organizations/me, passed: true, detail: "HTTP 200 in 38 ms"}
    token_lifetime:
      description: Lifetime of the issued token in seconds (null when the grant failed).
      type: int
      sample: 86400
    organization:
      description: The org of the token (C(id), C(name), and C(short_name) when C(/api/v2/organizations/me) was read).
      type: dict
      sample: {id: 5d3e1a2b-0000-4000-8000-000000000001, name: Acme Production, short_name: acme-prod}
    client:
      description: The client as the platform sees it (C(id), C(name), C(grant_type), C(state)).
      type: dict
      sample: {id: 9b1c4a0e-0000-4000-8000-00000000b0b1, name: WFM bot, grant_type: CLIENT-CREDENTIALS, state: active}
    roles:
      description: The client's role assignments (C(role_id), C(division_id)).
      type: list
      elements: dict
      sample: [{role_id: 3b7c0d1e-0000-4000-8000-000000000042, division_id: "*"}]
    probes:
      description: Each probe path with its HTTP status (null on a connection error) and latency.
      type: list
      elements: dict
      sample: [{path: /api/v2/organizations/me, status: 200, latency_ms: 38}]
'''

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import run_module
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import SPEC, core


def main():
    run_module(SPEC, core)


if __name__ == '__main__':
    main()
