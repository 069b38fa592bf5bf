# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side entry point of genesyscloud.sso.genesys_identity_provider (see the module's documentation).

Besides running the core, it resolves relative certificate file names the way
``copy``'s ``src`` is resolved (the role's or play's ``files/`` directory, then
the playbook directory), so ``certificates: [okta.pem]`` works from a role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.errors import AnsibleError

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_identity_provider_core import SPEC, core
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_action import GenesysActionBase

_CERT_FILE_RE = re.compile(r'\.(pem|crt|cer|der|cert)$', re.IGNORECASE)


class ActionModule(GenesysActionBase):
    SPEC = SPEC
    CORE = staticmethod(core)

    def _resolve_certificate(self, item):
        if not isinstance(item, str):
            return item
        name = item.strip()
        if (not name or '\n' in name or '-----' in name or os.path.isabs(os.path.expanduser(name))
                or not _CERT_FILE_RE.search(name) or os.path.isfile(name)):
            return item
        try:
            return self._find_needle('files', name)
        except AnsibleError:
            return item

    def run(self, tmp=None, task_vars=None):
        certs = self._task.args.get('certificates')
        if certs and (task_vars or {}).get('genesyscloud_sso_execution', 'controller') == 'controller':
            if isinstance(certs, (list, tuple)):
                resolved = [self._resolve_certificate(c) for c in certs]
            else:
                resolved = self._resolve_certificate(certs)
            if resolved != certs:
                args = dict(self._task.args)
                args['certificates'] = resolved
                self._task.args = args
        return super(ActionModule, self).run(tmp, task_vars)
