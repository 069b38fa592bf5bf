# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side entry point of genesyscloud.sso.genesys_platform_probe (see the module's documentation)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_platform_probe_core import SPEC, core
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import GenesysActionBase


class ActionModule(GenesysActionBase):
    SPEC = SPEC
    CORE = staticmethod(core)
