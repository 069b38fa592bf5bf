# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_oauth_check_core import SPEC, core
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import GenesysActionBase


class ActionModule(GenesysActionBase):
    """Runs genesys_oauth_check in the controller process."""

    SPEC = SPEC
    CORE = staticmethod(core)
