# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the saml_sso role: its summary, its input checks, the options of its module tasks, the clients of step 1
and the record of a failure.

Documented in sso_summary.yml, sso_client_lines.yml, sso_provider_lines.yml, sso_input_error.yml,
sso_path_segment.yml, sso_connection.yml, sso_provider_options.yml, sso_step1_clients.yml, sso_failure.yml and
sso_audit_summary.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import (
    client_lines,
    input_error,
    path_segment,
    provider_lines,
    summary,
)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_role import (
    audit_summary,
    connection,
    failure,
    provider_options,
    step1_clients,
)


class FilterModule(object):
    def filters(self):
        return dict(
            sso_summary=summary,
            sso_client_lines=client_lines,
            sso_provider_lines=provider_lines,
            sso_input_error=input_error,
            sso_path_segment=path_segment,
            sso_connection=connection,
            sso_provider_options=provider_options,
            sso_step1_clients=step1_clients,
            sso_failure=failure,
            sso_audit_summary=audit_summary,
        )
