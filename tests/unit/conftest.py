# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit-test environment: no test writes under the real home directory, and no test waits for real.

* HOME is a temporary directory, so the default ``backup_dir`` and ``lock_dir`` of genesys_identity_provider
  (``~/.ansible/...``) are private to each test (a lock or journal of one test can never reach another);
* the settle delay of genesys_identity_provider defaults to 0 (a test of the delay sets it explicitly).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp('home')
    monkeypatch.setenv('HOME', str(home))
    monkeypatch.setitem(_genesys_identity_provider_core.SPEC['argument_spec']['settle_delay'], 'default', 0.0)
    return home
