# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the backup files of genesys_identity_provider.

Owns the backup document (format, version, file name, mode 0600 in a private directory), reading and validating
one for ``restore_from``, and the checks that a backup or journal belongs to the target org and API host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import (
    GenesysModuleFail,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    CUSTOM_TYPE,
    family_of,
    validate_provider_id,
)
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_txn import (
    TxnError,
    check_private_dir,
)

DEFAULT_BACKUP_DIR = '~/.ansible/genesyscloud_sso_backups'
BACKUP_FORMAT = 'genesyscloud.sso/identity_provider_backup'
BACKUP_VERSION = 1


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def slug(text):
    return re.sub(r'[^A-Za-z0-9._-]+', '-', str(text or '')).strip('-')[:60] or 'provider'


def write_backup(run, ptype, current):
    """Write the previous state ``current`` of the provider to a new backup file; returns its path."""
    org = run.organization(required=True)
    try:
        directory = check_private_dir(run.params.get('backup_dir') or DEFAULT_BACKUP_DIR, 'backup_dir')
    except TxnError as exc:
        raise GenesysModuleFail(str(exc))
    now = _utcnow()
    org_part = slug(org.get('short_name') or org.get('id') or 'org')
    what = ptype if ptype != CUSTOM_TYPE else 'custom-%s' % slug((current or {}).get('name') or run.params.get('name'))
    filename = '%s_%s_%s.json' % (org_part, what, now.strftime('%Y%m%dT%H%M%S%fZ'))
    path = os.path.join(directory, filename)
    document = dict(
        format=BACKUP_FORMAT,
        version=BACKUP_VERSION,
        created=now.strftime('%Y-%m-%dT%H:%M:%SZ'),
        organization=dict(short_name=org.get('short_name'), id=org.get('id')),
        api_url=getattr(run.client, 'api_url', None),
        type=ptype,
        family=family_of(ptype),
        provider=current,
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(path, 0o600)
    except (OSError, IOError) as exc:
        raise GenesysModuleFail('Cannot write the backup file %s: %s. Nothing was changed.' % (path, exc))
    return path


def load_backup(path):
    """The backup document at ``path`` (validated)."""
    path = os.path.expanduser(path)
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (OSError, IOError, ValueError) as exc:
        raise GenesysModuleFail('Cannot read the backup file %s: %s' % (path, exc))
    if not isinstance(document, dict) or document.get('format') != BACKUP_FORMAT:
        raise GenesysModuleFail('%s is not a genesys_identity_provider backup file (no "format": "%s").'
                                % (path, BACKUP_FORMAT))
    if document.get('version') != BACKUP_VERSION:
        raise GenesysModuleFail('%s has backup version %r; this collection reads version %d.'
                                % (path, document.get('version'), BACKUP_VERSION))
    if document.get('type') not in ALL_TYPES:
        raise GenesysModuleFail('%s names an unknown provider type %r.' % (path, document.get('type')))
    provider = document.get('provider')
    if provider is not None and not isinstance(provider, dict):
        raise GenesysModuleFail('%s: "provider" must be an object or null.' % path)
    if provider is not None and provider.get('id') is not None:
        validate_provider_id(provider['id'], 'backup file %s (provider.id)' % path)
    if provider is not None and provider.get('selfUri') is not None and not isinstance(provider['selfUri'], str):
        raise GenesysModuleFail('%s: "provider.selfUri" must be a string.' % path)
    return document


def org_matches(doc_org, org):
    """True when the org of a backup/journal is the target org (by id when both have one, else short name)."""
    doc_org = doc_org or {}
    if doc_org.get('id') and org.get('id'):
        return doc_org['id'] == org['id']
    if doc_org.get('short_name') and org.get('short_name'):
        return doc_org['short_name'] == org['short_name']
    return False


def host_of(url):
    """The lower-case host[:port] of a URL (no scheme, no path)."""
    text = str(url or '')
    text = re.sub(r'^[a-z]+://', '', text)
    return text.split('/', 1)[0].lower()
