#!/usr/bin/env python3
"""Peer (a) of the benchmark: the sequential ``requests`` script the tutorials hand out.

It does, org after org, the same requests the role does:

1. for each preserved client: client-credentials token, ``GET /api/v2/tokens/me``,
   ``GET /api/v2/organizations/me`` (the probe);
2. admin client-credentials token;
3. ``GET /api/v2/identityproviders`` (overview);
4. ``GET /api/v2/identityproviders/<type>`` (404 = not configured);
5. only if the provider differs from the wanted one: ``PUT`` it (current merged with wanted),
   ``GET`` it again to verify, and check the preserved clients again (step 1).

It reads the same inventory file as the playbooks (``all.vars`` and the hosts of ``all`` and its child groups,
the role's ``saml_sso_*`` variables) and is fair to the tutorials' favour: one ``requests.Session`` per org
(keep-alive), TLS verified against the emulator CA.  It supports the provider fields the benchmark
uses (issuer_uri, sso_target_uri, relying_party_identifier, certificates, enabled).

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


def configure_org(org):
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-i', '--inventory', required=True)
    args = parser.parse_args(argv)
    changed = failed = 0
    orgs = load_inventory(args.inventory)
    for org in orgs:
        try:
            if configure_org(org):
                changed += 1
        except (requests.RequestException, RuntimeError, KeyError, ValueError) as exc:
            failed += 1
            # never the secret: exceptions of requests carry URLs, not credentials
            print('%s: FAILED: %s' % (org['inventory_hostname'], type(exc).__name__), file=sys.stderr)
    print(json.dumps(dict(orgs=len(orgs), changed=changed, failed=failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
