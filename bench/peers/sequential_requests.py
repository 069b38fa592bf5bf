#!/usr/bin/env python3
"""Peer (a) of the benchmark: a sequential ``requests`` script, org after org.

Two request flows (``--flow``), both checked by the benchmark through the emulator's request log:

``role`` (default, peer (a)): exactly the requests the role makes on an org, so that the ratio
collection / peer isolates what the tool itself costs (converged 6, fresh 12 per org; the minimum of
``bench/run.py``, ``PEER_REQUESTS`` there):

1. for each preserved client: client-credentials token, ``GET /api/v2/tokens/me``,
   ``GET /api/v2/organizations/me`` (the probe);
2. admin client-credentials token;
3. ``GET /api/v2/identityproviders`` (the overview of the role's step 3);
4. ``GET /api/v2/identityproviders/<type>`` (404 = not configured);
5. only if the provider differs from the wanted one: the admin side's ``GET /api/v2/organizations/me``
   (the role's lock key and the backup's organization, issue 13; not made when ``saml_sso_org_name``
   gives the org or the admin client is one of the preserved clients, as in the role), ``PUT`` the
   provider (current merged with wanted), ``GET`` it again to verify, and check the preserved clients
   again (step 1).

``tutorial`` (peer (a-t)): the flow a tutorial hands out, the same without step 3 and without the
admin-side org read: it reads only the provider it configures (converged 5, fresh 10 per org).  The
overview listing is what the role's module uses for its own safety checks (e.g. the guard of the last
custom provider), the org read its lock and backup; a tutorial has neither.

It reads the same inventory file as the playbooks (``all.vars`` and the hosts of ``all`` and its child groups,
the role's ``saml_sso_*`` variables) and is fair to the tutorials' favour: one ``requests.Session`` per org
(keep-alive), TLS verified against the emulator CA.  It supports the provider fields the benchmark
uses (issuer_uri, sso_target_uri, relying_party_identifier, certificates, enabled).
``threaded_requests.py`` (peer (c)) runs the same ``configure_org`` on a thread pool.

Exit status 0 when every org succeeded, 1 otherwise; prints one JSON summary line.
"""

import argparse
import json
import sys

import requests
import yaml

FIELD_MAP = {
    'issuer_uri': 'issuerURI',
    'sso_target_uri': 'ssoTargetURI',
    'relying_party_identifier': 'relyingPartyIdentifier',
    'certificates': 'certificates',
    'name': 'name',
}


def wanted_body(provider):
    body = {}
    for option, field in FIELD_MAP.items():
        if option in provider:
            body[field] = provider[option]
    body['disabled'] = not provider.get('enabled', True)
    return body


def differs(current, wanted):
    if current is None:
        return True
    for field, value in wanted.items():
        have = current.get(field)
        if field == 'certificates':
            have = sorted(''.join(c.split()) for c in (have or []))
            value = sorted(''.join(c.split()) for c in value)
        if have != value:
            return True
    return False


def token(session, login_url, client_id, client_secret, ca_path):
    resp = session.post(login_url + '/oauth/token', data={'grant_type': 'client_credentials'},
                        auth=(client_id, client_secret), verify=ca_path, timeout=30)
    resp.raise_for_status()
    return resp.json()['access_token']


def check_client(session, org, client):
    bearer = token(session, org['saml_sso_login_url'], client['client_id'], client['client_secret'],
                   org['saml_sso_ca_path'])
    headers = {'Authorization': 'Bearer ' + bearer}
    me = session.get(org['saml_sso_api_url'] + '/api/v2/tokens/me', headers=headers,
                     verify=org['saml_sso_ca_path'], timeout=30)
    me.raise_for_status()
    probe = session.get(org['saml_sso_api_url'] + '/api/v2/organizations/me', headers=headers,
                        verify=org['saml_sso_ca_path'], timeout=30)
    probe.raise_for_status()


FLOWS = ('role', 'tutorial')


def reads_admin_org(org, clients):
    """Whether the role reads the admin side's org before a write: not when the org is given or when the admin
    client is itself one of the preserved clients (its own check answered it)."""
    if org.get('saml_sso_org_name'):
        return False
    return org['saml_sso_client_id'] not in [c.get('client_id') for c in clients]


def configure_org(org, flow='role'):
    """Configure one org; True when it wrote the provider.  ``flow``: see the module docstring."""
    if flow not in FLOWS:
        raise ValueError(flow)
    api, ca = org['saml_sso_api_url'], org['saml_sso_ca_path']
    provider = org['saml_sso_provider']
    ptype = provider['type']
    clients = org.get('saml_sso_preserved_clients') or []
    with requests.Session() as session:
        for client in clients:
            check_client(session, org, client)
        bearer = token(session, org['saml_sso_login_url'], org['saml_sso_client_id'],
                       org['saml_sso_client_secret'], ca)
        headers = {'Authorization': 'Bearer ' + bearer}
        if flow == 'role':
            listing = session.get(api + '/api/v2/identityproviders', headers=headers, verify=ca, timeout=30)
            listing.raise_for_status()
        resp = session.get(api + '/api/v2/identityproviders/' + ptype, headers=headers, verify=ca, timeout=30)
        if resp.status_code == 404:
            current = None
        else:
            resp.raise_for_status()
            current = resp.json()
        wanted = wanted_body(provider)
        if not differs(current, wanted):
            return False
        if flow == 'role' and reads_admin_org(org, clients):
            me = session.get(api + '/api/v2/organizations/me', headers=headers, verify=ca, timeout=30)
            me.raise_for_status()
        body = dict((k, v) for k, v in (current or {}).items() if k not in ('id', 'selfUri'))
        body.update(wanted)
        put = session.put(api + '/api/v2/identityproviders/' + ptype, headers=headers, json=body,
                          verify=ca, timeout=30)
        put.raise_for_status()
        verify = session.get(api + '/api/v2/identityproviders/' + ptype, headers=headers, verify=ca, timeout=30)
        verify.raise_for_status()
        if differs(verify.json(), wanted):
            raise RuntimeError('provider %s does not match after the write' % ptype)
        for client in clients:
            check_client(session, org, client)
        return True


def load_inventory(path):
    """Hosts of a YAML inventory (``all.vars`` + ``all.hosts`` + ``all.children.*.hosts``)."""
    with open(path) as f:
        inventory = yaml.safe_load(f)
    group = inventory['all']
    common = group.get('vars') or {}
    hosts = dict(group.get('hosts') or {})
    for child in (group.get('children') or {}).values():
        hosts.update((child or {}).get('hosts') or {})
    orgs = []
    for name, host_vars in hosts.items():
        org = dict(common)
        org.update(host_vars or {})
        org['inventory_hostname'] = name
        orgs.append(org)
    return orgs


ORG_ERRORS = (requests.RequestException, RuntimeError, KeyError, ValueError)


def run_org(org, flow):
    """'changed', 'ok' or 'failed' for one org; a failure is printed without any secret."""
    try:
        return 'changed' if configure_org(org, flow) else 'ok'
    except ORG_ERRORS as exc:
        # never the secret: exceptions of requests carry URLs, not credentials
        print('%s: FAILED: %s' % (org['inventory_hostname'], type(exc).__name__), file=sys.stderr)
        return 'failed'


def summary(orgs, outcomes, **extra):
    out = dict(orgs=len(orgs), changed=outcomes.count('changed'), failed=outcomes.count('failed'))
    out.update(extra)
    print(json.dumps(out))
    return 1 if out['failed'] or len(outcomes) != len(orgs) else 0


def parser_with_flow(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('-i', '--inventory', required=True)
    parser.add_argument('--flow', choices=FLOWS, default='role',
                        help="role: the role's requests (default); tutorial: without the overview listing")
    return parser


def main(argv=None):
    args = parser_with_flow(__doc__.splitlines()[1]).parse_args(argv)
    orgs = load_inventory(args.inventory)
    outcomes = [run_org(org, args.flow) for org in orgs]
    return summary(orgs, outcomes, flow=args.flow)


if __name__ == '__main__':
    sys.exit(main())
