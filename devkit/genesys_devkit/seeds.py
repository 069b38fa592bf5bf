"""Seeds of the emulator (the format of docs/architecture.md "Seed file"): clients, users, orgs, fleets.

``client(id, secret=None, ...)`` (secret default ``<id>-secret``), ``user(email, password)``,
``org_seed(name, clients=None, index=None, ...)`` (an ``id`` only with ``index``: ``5d3e1a2b-0000-4000-8000-<index>``;
the default clients: one admin ``<name>-admin`` with every permission), ``fleet_seed(names, **org_options)``,
``write_seed(path, seed)`` (JSON, 0600: it holds credentials), ``secrets_of(seed)`` (every client secret and user
password: what must never appear in any output), ``client_of(seed, client_id)``.

The values are fake credentials of a local emulator. A suite keeps its own naming convention by passing its
clients; this module only builds the shapes.
"""

import copy
import json
import os

ORG_ID_FORMAT = '5d3e1a2b-0000-4000-8000-%012d'
GRANT_TYPES = ('CLIENT-CREDENTIALS', 'PASSWORD', 'SAML2-BEARER')


def client(client_id, secret=None, name=None, grant_type='CLIENT-CREDENTIALS', state='active', permissions=('*',),
           roles=None, **extra):
    """One OAuth client of an org (``extra``: further seed fields such as ``access_token_validity_seconds``)."""
    if grant_type not in GRANT_TYPES:
        raise ValueError('grant_type must be one of %s, not %r' % (', '.join(GRANT_TYPES), grant_type))
    out = dict(id=client_id, secret=client_id + '-secret' if secret is None else secret, name=name or client_id,
               grant_type=grant_type, state=state, permissions=list(permissions))
    if roles is not None:
        out['roles'] = copy.deepcopy(list(roles))
    out.update(extra)
    return out


def user(email, password):
    return dict(email=email, password=password)


def org_seed(name, clients=None, index=None, region='us-east-1', display_name=None, users=None, providers=None):
    """One org of a seed: ``clients`` (default: an admin ``<name>-admin`` with ``*``), ``users``, ``providers`` (API
    JSON by type, as the platform holds them); ``index`` gives a fixed org id, ``display_name`` the Organization.name."""
    org = dict(name=name)
    if index is not None:
        org['id'] = ORG_ID_FORMAT % index
    if display_name is not None:
        org['display_name'] = display_name
    org['region'] = region
    org['clients'] = copy.deepcopy(list(clients)) if clients is not None else [client(name + '-admin',
                                                                                      name='SSO automation')]
    if users is not None:
        org['users'] = copy.deepcopy(list(users))
    if providers is not None:
        org['providers'] = copy.deepcopy(providers)
    return org


def fleet_seed(names, make_org=org_seed, **org_options):
    """``{'orgs': [make_org(name, **org_options) for each name]}``."""
    return dict(orgs=[make_org(name, **org_options) for name in names])


def write_seed(path, seed):
    """Write a seed as JSON (mode 0600: it holds credentials); return the path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, 'w', encoding='utf-8') as handle:
        json.dump(seed, handle)
    return path


def secrets_of(seed):
    """Every client secret and user password of a seed (must never appear in any output)."""
    found = []
    for org in seed.get('orgs', []):
        found += [c['secret'] for c in org.get('clients', []) if c.get('secret')]
        found += [u['password'] for u in org.get('users', []) if u.get('password')]
    return found


def client_of(seed, client_id):
    """(org name, client dict) of ``client_id`` in a seed dict; KeyError when absent."""
    for org in seed.get('orgs', []):
        for entry in org.get('clients', []):
            if entry['id'] == client_id:
                return org['name'], entry
    raise KeyError(client_id)
