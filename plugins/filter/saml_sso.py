# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the saml_sso role: its summary and its input checks.

Documented in sso_summary.yml, sso_client_lines.yml, sso_provider_lines.yml, sso_input_error.yml and
sso_path_segment.yml.
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


class FilterModule(object):
    def filters(self):
        return dict(
            sso_summary=summary,
            sso_client_lines=client_lines,
            sso_provider_lines=provider_lines,
            sso_input_error=input_error,
            sso_path_segment=path_segment,
        )
