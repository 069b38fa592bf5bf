#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: genesys_identity_provider_info
short_description: List the single sign-on identity providers of a Genesys Cloud org
version_added: 1.0.0
description:
  - Lists the identity providers of both API families (the per-type singletons such as C(okta) or
    C(purecloud), and custom providers of the multi-provider API) with one request
    (C(GET /api/v2/identityproviders)), or reads one provider by O(type), O(name) or O(id).
  - Every provider is sanitised (certificates as summaries with fingerprint, subject, issuer, validity and
    days left; the logo as size and SHA-256; never blobs), which makes it the read-only audit and
    drift report for many orgs, for example all certificates expiring within a month.
  - The listing holds the common SAML fields only; C(endpoint_compression) and C(auto_provision_users) are
    returned when a single per-type provider is read by O(type).
  - Never changes anything.
author:
  - genesyscloud.sso contributors (@genesyscloud)
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
  - requests
  - cryptography
options:
  type:
    description:
      - Only providers of this type. For a per-type singleton without O(name), the provider is read directly
        (C(GET /api/v2/identityproviders/{type}), all its fields); V(custom) lists the custom providers.
    type: str
    choices: [adfs, cic, generic, gsuite, identitynow, okta, onelogin, ping, purecloud, pureengage, salesforce, custom]
  name:
    description:
      - Only providers with exactly this name.
    type: str
  id:
    description:
      - Read the custom provider with this id (C(GET /api/v2/identityproviders/{id})).
    type: str
  expiring_within_days:
    description:
      - Only providers with at least one certificate that expires within this many days (expired ones
        included).
    type: int
  include_organization:
    description:
      - Also return RV(organization) (one more request, C(GET /api/v2/organizations/me)).
    type: bool
    default: false
  include_api_fields:
    description:
      - Also return, for each provider, RV(providers[].api_fields) - its writable fields exactly as the API
        returned them (certificates in full, the logo as its base64 text). For exporting a provider as module
        options (the C(saml_sso_export_dir) option of the role's audit); no extra request.
    type: bool
    default: false
seealso:
  - module: genesyscloud.sso.genesys_identity_provider
'''

EXAMPLES = r'''
- name: All providers of the org
  genesyscloud.sso.genesys_identity_provider_info:
    region: eu-west-1
    client_id: "{{ genesys_client_id }}"
    client_secret: "{{ genesys_client_secret }}"
  register: idps

- name: Names of the enabled providers
  ansible.builtin.debug:
    msg: "{{ idps.providers | selectattr('enabled') | map(attribute='name') | list }}"

- name: The Okta provider, every field
  genesyscloud.sso.genesys_identity_provider_info:
    type: okta

- name: With a token and the connection options set once for the whole play
  module_defaults:
    group/genesyscloud.sso.genesys:
      region: mypurecloud.de
      access_token: "{{ genesys_auth.access_token }}"
      timeout: 20
      retries: 3
      validate_certs: true
  block:
    - name: Providers of the Frankfurt org
      genesyscloud.sso.genesys_identity_provider_info:
      register: frankfurt

- name: Against the bundled emulator (private CA)
  genesyscloud.sso.genesys_identity_provider_info:
    api_url: "{{ emulator.url }}"
    login_url: "{{ emulator.url }}"
    ca_path: "{{ emulator.ca_path }}"
    client_id: it-admin
    client_secret: "{{ admin_secret }}"

- name: A custom provider by name
  genesyscloud.sso.genesys_identity_provider_info:
    type: custom
    name: Partner IdP

- name: A custom provider by id
  genesyscloud.sso.genesys_identity_provider_info:
    id: 6c1e0f5a-2b7d-4c1e-9a53-0d1f2e3c4b5a

- name: Audit - providers whose certificates expire within 45 days, with the org short name
  genesyscloud.sso.genesys_identity_provider_info:
    expiring_within_days: 45
    include_organization: true
  register: expiring

- name: Fail the audit when a certificate is about to expire
  ansible.builtin.assert:
    that: expiring.providers | length == 0
    fail_msg: "{{ expiring.organization.short_name }}: {{ expiring.providers | map(attribute='name') | list }}"
'''

RETURN = r'''
providers:
  description: The providers found (per-type ones first, then custom ones by name), sanitised.
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: Provider type (V(okta), V(purecloud), ... or V(custom)).
      type: str
      sample: okta
    family:
      description: V(per_type) (singleton API) or V(custom) (multi-provider API).
      type: str
      sample: per_type
    id:
      description: Provider id.
      type: str
    name:
      description:
        - Provider name; always present, null when the provider has none (a per-type provider created without a
          name), so that C(map(attribute='name')) works on every provider.
      type: str
    enabled:
      description: Whether sign-in through it is enabled.
      type: bool
    issuer_uri:
      description: IdP entity ID.
      type: str
    sso_target_uri:
      description: IdP sign-in URL.
      type: str
    certificates:
      description: Certificate summaries (fingerprint, subject, issuer, not_before, not_after, days_left, key_type).
      type: list
      elements: dict
    certificate_days_left:
      description: Days until the first certificate expires (null without certificates).
      type: int
    api_fields:
      description: The provider's writable API fields as read (JSON names; certificates and logo in full).
      returned: when O(include_api_fields=true)
      type: dict
  sample:
    - type: okta
      family: per_type
      id: 0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10
      name: Okta
      enabled: true
      issuer_uri: http://www.okta.com/exk1abcd
      sso_target_uri: https://acme.okta.com/app/genesys/exk1abcd/sso/saml
      certificates:
        - fingerprint: "3A:1F:...:9C"
          subject: CN=acme.okta.com
          issuer: CN=acme.okta.com
          not_before: "2026-01-01T00:00:00Z"
          not_after: "2027-01-01T00:00:00Z"
          days_left: 33
          key_type: RSA 2048
      certificate_days_left: 33
    - type: purecloud
      family: per_type
      id: 2b0d3c8e-7f41-4a5c-9e1d-5a6b7c8d9e0f
      name: PureCloud
      enabled: false
      certificates: []
      certificate_days_left: null
organization:
  description: The org.
  returned: when O(include_organization=true)
  type: dict
  contains:
    short_name:
      description: Org short name (C(thirdPartyOrgName)).
      type: str
      sample: acme-prod
    id:
      description: Org id.
      type: str
    name:
      description: Org display name.
      type: str
    domain:
      description: Region domain (null when only O(api_url) was given).
      type: str
api_requests:
  description: Number of HTTP requests the task sent (token included).
  returned: always
  type: int
  sample: 2
'''

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import run_module
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_identity_provider_info_core import SPEC, core


def main():
    run_module(SPEC, core)


if __name__ == '__main__':
    main()
