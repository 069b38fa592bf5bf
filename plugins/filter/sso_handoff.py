# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the handoff to the IdP admin (documented in sso_handoff.yml and sso_handoff_files.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_handoff import files, handoff


def sso_handoff(configure, org='', mode='apply', failed=False, rolled_back=False, clients=None, org_short_name=''):
    return handoff(configure, org=org, mode=mode, failed=failed, rolled_back=rolled_back, clients=clients,
                   given_org=org_short_name)


def _handoff_of(hostvars, host):
    try:
        result = hostvars[host].get('saml_sso_result', {}) if hasattr(hostvars[host], 'get') else {}
    except (KeyError, TypeError):
        return {}
    return (result.get('handoff') if isinstance(result, Mapping) else None) or {}


def sso_handoff_files(value, hosts=None):
    """[{host, suffix, content}]: of one handoff (``hosts`` None), or of each host's saml_sso_result.handoff."""
    if hosts is None:
        return [dict(item, host=(value or {}).get('org', '')) for item in files(value)]
    out = []
    for host in hosts:
        out.extend(dict(item, host=host) for item in files(_handoff_of(value, host)))
    return out


class FilterModule(object):
    def filters(self):
        return dict(sso_handoff=sso_handoff, sso_handoff_files=sso_handoff_files)
