# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the saml_sso role's export (the audit's saml_sso_export_dir).

Documented in sso_export.yml, sso_export_target.yml and sso_export_inventory.yml; the logic is in
plugins/plugin_utils/genesys_export.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # pragma: no cover - removed in a later ansible-core: results are then never templated
    def wrap_var(value):
        return value

from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_export import (
    export_org,
    export_target,
    inventory_text,
)


def sso_export(values, spec_path, org='', provider=None, providers=None, organization=None):
    # The files hold placeholders such as {{ inventory_dir }} on purpose: marked unsafe, so that an ansible-core
    # before 2.19 does not evaluate them when a task reads the result (2.19 never templates a filter's result).
    return wrap_var(export_org(values, spec_path, org, provider=provider or None, providers=providers,
                               organization=organization))


def sso_export_inventory(exports, existing=''):
    return wrap_var(inventory_text(exports, existing or ''))


class FilterModule(object):
    def filters(self):
        return dict(
            sso_export=sso_export,
            sso_export_target=export_target,
            sso_export_inventory=sso_export_inventory,
        )
