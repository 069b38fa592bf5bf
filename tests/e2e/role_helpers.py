# -*- coding: utf-8 -*-
"""Helpers of the role/playbook end-to-end tests (``test_role_*.py``).

They build seeds and inventories for ``playbooks/configure_sso.yml`` against the emulator and read back
what the role did: the per-org summary the role records (``saml_sso_result``, the fact of the task
"Build the summary of this org (step 7)"), the recap stats, and the emulator's request log and state.
"""

import glob
import os

from helpers import REPO
from genesys_devkit import seeds
from genesys_devkit.emulator import WRITE_METHODS, write_requests as writes  # noqa: F401
from genesys_devkit.seeds import secrets_of  # noqa: F401

CONFIGURE = os.path.join(REPO, 'playbooks', 'configure_sso.yml')
AUDIT = os.path.join(REPO, 'playbooks', 'audit_sso.yml')
SUMMARY_TASK = 'Build the summary of this org (step 7)'


def org_seed(name, index, region='us-east-1', providers=None):
    """One org: admin client (sso:provider:*), a preserved bot client, a user for SAML sign-in."""
    return seeds.org_seed(
        name, index=index, region=region, display_name=name.replace('-', ' ').title(), providers=providers or {},
        clients=[seeds.client(name + '-admin', name='SSO automation', permissions=['sso:provider:*', 'oauth:client:view'],
                              roles=[{'name': 'SSO Admin', 'division_id': '*'}]),
                 seeds.client(name + '-bot', name='Reporting bot', permissions=['analytics:*'],
                              roles=[{'name': 'Reporting', 'division_id': '*'}])],
        users=[seeds.user('alice@%s.example' % name, name + '-alice-password')])


def provider_vars(idp, issuer=None):
    """saml_sso_provider for a generic provider signed by ``idp`` (a genesys_emulator TestIdP)."""
    return {
        'type': 'generic',
        'name': 'Corp IdP',
        'issuer_uri': issuer or idp.entity_id,
        'sso_target_uri': idp.sso_url,
        'certificates': [idp.certificate_pem],
        'relying_party_identifier': 'genesys.cloud.{{ inventory_hostname }}',
    }


def inventory(emulator, orgs, provider, backup_dir, host_overrides=None, **group_vars):
    """Inventory of ``orgs`` (names) in group genesys_orgs, each with its seed credentials and bot."""
    hosts = {}
    for name in orgs:
        host = {
            'saml_sso_client_id': name + '-admin',
            'saml_sso_client_secret': name + '-admin-secret',
            'saml_sso_preserved_clients': [
                {'name': 'reporting-bot', 'client_id': name + '-bot', 'client_secret': name + '-bot-secret'},
            ],
        }
        host.update((host_overrides or {}).get(name, {}))
        hosts[name] = host
    common = {
        'saml_sso_api_url': emulator.url,
        'saml_sso_login_url': emulator.url,
        'saml_sso_ca_path': emulator.ca_path,
        'saml_sso_backup_dir': str(backup_dir),
        'saml_sso_provider': provider,
        'saml_sso_settle_delay': 0.2,
    }
    common.update(group_vars)
    return {'genesys_orgs': {'hosts': hosts, 'vars': common}}


def summaries(result):
    """{org: saml_sso_result} recorded by the role in this run."""
    found = {}
    for task in result.tasks:
        if task['task'].endswith(SUMMARY_TASK) and task['status'] == 'ok':
            found[task['host']] = task['result']['ansible_facts']['saml_sso_result']
    return found


def org_state(emulator, org):
    for entry in emulator.state()['orgs']:
        if entry['name'] == org:
            return entry
    raise KeyError(org)


def providers_of(emulator, org):
    return org_state(emulator, org).get('providers') or {}


def comparable_providers(state):
    """Providers of every org without the ids the platform generates (for end-state comparisons)."""
    out = {}
    for org in state['orgs']:
        provs = {}
        for ptype, value in (org.get('providers') or {}).items():
            items = value if isinstance(value, list) else [value]
            cleaned = [dict((k, v) for k, v in item.items() if k not in ('id', 'selfUri')) for item in items]
            provs[ptype] = cleaned if isinstance(value, list) else cleaned[0]
        out[org['name']] = provs
    return out


def backups_in(directory):
    return sorted(glob.glob(os.path.join(str(directory), '*', '*.json')))
