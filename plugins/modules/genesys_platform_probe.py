#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: genesys_platform_probe
short_description: Measure how a Genesys Cloud sandbox org's identity-provider API behaves (writes one throwaway provider)
version_added: 1.0.0
description:
  - The platform conformance probe. Run it B(once), against a B(sandbox) org, with an admin client. It measures
    the behaviours of the identity-provider API that no public source settles, and writes them as a report and
    as an emulator C(--variant-file) that makes the bundled emulator behave like that org (see
    C(docs/platform-probe.md) and the playbook C(playbooks/probe_platform.yml)).
  - "Reads first: the organization, the listing (every page), the eleven per-type endpoints. It refuses to go on
    unless O(i_understand_this_writes=true) and the org has fewer than 29 providers; a refused run sends no write
    and writes no file."
  - Then creates B(one) custom provider (the multi-provider API, C(POST /api/v2/identityproviders)) with a unique
    name (O(name)) and C(disabled=true), never a per-type provider, and measures how long C(GET /{id}) and the
    listing take to reflect the create and a PUT (within O(max_wait) seconds, at most 10 minutes), the id and
    selfUri shapes of the listing's per-type and custom entries, how a PEM certificate is echoed (verbatim or
    bare base64), which fields of the custom family are kept, whether an empty relying party identifier is filled
    in, whether an unknown field is refused (strict fields) and whether the listing is paged.
  - The provider it created is deleted in every case (also when a step failed); O(mode=cleanup) deletes the
    disabled providers named exactly O(name) that an interrupted run may have left.
  - Keys it could not measure (the fields the non-generic per-type types drop, a refused last delete, a page size
    larger than the org's listing, a lag longer than O(max_wait)) are left out of the variant file and explained
    in C(not_measured) of RV(report).
  - Never prints a secret; the report holds no token, secret or private key (the test certificate's key is
    discarded as soon as the certificate is signed).
extends_documentation_fragment:
  - genesyscloud.sso.genesys
  - genesyscloud.sso.genesys.actiongroup_genesys
attributes:
  check_mode:
    description: Reads only (organization, listing, per-type endpoints), checks the provider count and says
      what a real run would do; writes nothing to the org and no file. O(i_understand_this_writes) is not needed.
    support: full
  diff_mode:
    description: The probe changes nothing lasting, so there is no diff.
    support: none
requirements:
  - requests
  - cryptography
options:
  mode:
    description:
      - V(probe) measures the org; V(cleanup) deletes the disabled custom providers named exactly O(name)
        (what the probe creates) and nothing else.
    type: str
    choices: [probe, cleanup]
    default: probe
  i_understand_this_writes:
    description:
      - Must be V(true) for a real probe run, because the probe creates, changes and deletes one disabled custom
        provider in the org. Run it against a sandbox org only.
    type: bool
    default: false
  name:
    description:
      - Name of the throwaway provider. Default C(genesyscloud-sso-probe-<UTC time>-<8 hex digits>).
      - Must start with C(genesyscloud-sso-probe-), then letters, digits, C(.), C(_) and C(-) only (what the
        cleanup looks for). Required with O(mode=cleanup).
    type: str
  max_wait:
    description:
      - Bound, in seconds, of the whole measurement (the reads and the listing catching up with the create and the
        PUT). More than 0, at most 600 (10 minutes). A lag longer than that is reported as not measured, with the
        time waited.
    type: float
    default: 600
  report_path:
    description:
      - File to write the report to (JSON, RV(report)). Not written by a refused run or in check mode; written also
        when a step failed (with C(error)).
    type: path
  variant_file:
    description:
      - File to write the emulator variants to (YAML, a flat mapping of the keys the probe measured; give it to
        C(python -m genesys_emulator --variant-file FILE)). Written only by a complete run.
    type: path
notes:
  - Per-type providers are only read, never written, so which fields the non-generic types keep is not probed.
seealso:
  - module: genesyscloud.sso.genesys_identity_provider_info
author:
  - genesyscloud.sso contributors (@genesyscloud)
'''

EXAMPLES = r'''
- name: Probe a sandbox org (one throwaway disabled custom provider, deleted afterwards)
  genesyscloud.sso.genesys_platform_probe:
    region: eu-west-1
    client_id: "{{ sandbox_admin_id }}"
    client_secret: "{{ sandbox_admin_secret }}"
    i_understand_this_writes: true
    max_wait: 600
    report_path: "{{ playbook_dir }}/probe-report.json"
    variant_file: "{{ playbook_dir }}/probe-variants.yml"
  register: probe

- name: What the org does
  ansible.builtin.debug:
    var: probe.variants

- name: Remove what an interrupted probe left
  genesyscloud.sso.genesys_platform_probe:
    mode: cleanup
    name: genesyscloud-sso-probe-20261201T091500Z-1a2b3c4d
'''

RETURN = r'''
variants:
  description: The emulator variants measured (the content of O(variant_file)); keys not measured are absent.
  returned: success
  type: dict
  sample:
    read_lag_s: 4.2
    listing_lag_s: 1.3
    listing_ids: uuid
    listing_self_uri: type
    certificate_echo: bare_base64
    fill_relying_party: true
    strict_fields: false
report:
  description:
    - The whole report (the content of O(report_path)) - C(format), C(started), C(finished), C(org),
      C(providers_before), C(provider) (name, id, created, deleted), C(variants), C(not_measured) (key - why),
      C(measurements) (read and listing lags after the create and the update, listing shapes per entry,
      certificate echo, custom fields kept/dropped/changed, relying party, strict fields, paging), C(notes),
      C(leftovers), C(complete), C(api_requests).
  returned: when the probe ran (not in check mode, not refused)
  type: dict
provider:
  description: The throwaway provider - C(name), C(id), C(created), C(deleted).
  returned: always
  type: dict
leftovers:
  description: Providers the probe could not delete (C(name), C(id), C(reason)); the task fails when there are any.
  returned: when the probe ran
  type: list
  elements: dict
files:
  description: The files written (C(report_path), C(variant_file)).
  returned: when the probe ran
  type: dict
providers:
  description: Number of entries of the listing before the probe.
  returned: in check mode and when refused for the count
  type: int
listing_shapes:
  description: The id/selfUri shapes of the per-type entries (check mode).
  returned: in check mode
  type: dict
deleted:
  description: Ids deleted by O(mode=cleanup).
  returned: with O(mode=cleanup)
  type: list
  elements: str
refused:
  description: True when the probe refused to run (flag missing, too many providers).
  returned: when refused
  type: bool
'''

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import run_module
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_platform_probe_core import SPEC, core


def main():
    run_module(SPEC, core)


if __name__ == '__main__':
    main()
