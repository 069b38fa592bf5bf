"""Seed and certificate factories."""

import base64
import datetime
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from genesys_devkit import certs, seeds


def test_client_defaults_and_overrides():
    assert seeds.client('a') == dict(id='a', secret='a-secret', name='a', grant_type='CLIENT-CREDENTIALS',
                                     state='active', permissions=['*'])
    c = seeds.client('b', 's', name='Bot', state='disabled', permissions=('x:y',), roles=[{'name': 'R'}],
                     access_token_validity_seconds=1)
    assert c['secret'] == 's' and c['permissions'] == ['x:y'] and c['roles'] == [{'name': 'R'}]
    assert c['access_token_validity_seconds'] == 1 and c['state'] == 'disabled'
    with pytest.raises(ValueError):
        seeds.client('c', grant_type='CLIENT_CREDENTIALS')  # typo of the grant


def test_org_seed_shapes_and_copies():
    providers = {'okta': {'name': 'Okta', 'certificates': ['A']}}
    org = seeds.org_seed('acme', index=7, display_name='Acme', providers=providers, users=[seeds.user('a@x', 'pw')])
    assert org['id'] == '5d3e1a2b-0000-4000-8000-000000000007' and org['display_name'] == 'Acme'
    assert org['clients'] == [seeds.client('acme-admin', name='SSO automation')]
    providers['okta']['certificates'].append('B')
    assert org['providers']['okta']['certificates'] == ['A']  # a copy: later edits of the input do not leak in
    bare = seeds.org_seed('b')
    assert set(bare) == {'name', 'region', 'clients'}


def test_fleet_seed_secrets_and_client_lookup(tmp_path):
    seed = seeds.fleet_seed(['o1', 'o2'], users=[seeds.user('u@x', 'u-pw')])
    assert [o['name'] for o in seed['orgs']] == ['o1', 'o2']
    assert seeds.secrets_of(seed) == ['o1-admin-secret', 'u-pw', 'o2-admin-secret', 'u-pw']
    assert seeds.client_of(seed, 'o2-admin') == ('o2', seed['orgs'][1]['clients'][0])
    with pytest.raises(KeyError):
        seeds.client_of(seed, 'nobody')
    path = seeds.write_seed(str(tmp_path / 'seed.json'), seed)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        assert json.load(handle) == seed


@pytest.mark.parametrize('key_type, key_class', [('ec', ec.EllipticCurvePublicKey), ('rsa', rsa.RSAPublicKey)])
def test_certificate_key_type_cn_and_forms(key_type, key_class):
    made = certs.make_certificate('idp.example', key_type=key_type)
    assert isinstance(made.cert.public_key(), key_class)
    assert made.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'idp.example'
    assert made.cert.issuer == made.cert.subject
    assert x509.load_pem_x509_certificate(made.pem.encode()) == made.cert
    assert x509.load_der_x509_certificate(made.der) == made.cert
    assert base64.b64decode(made.b64) == made.der and certs.bare(made.pem) == made.b64
    assert 'PRIVATE KEY' in made.key_pem and 'PRIVATE KEY' not in made.pem


def test_certificate_validity_window():
    now = datetime.datetime.now(datetime.timezone.utc)
    made = certs.make_certificate('w', not_before_days=-30, days=-1)   # expired yesterday
    assert abs((made.cert.not_valid_before_utc - (now - datetime.timedelta(days=30))).total_seconds()) < 60
    assert abs((made.cert.not_valid_after_utc - (now - datetime.timedelta(days=1))).total_seconds()) < 60
    with pytest.raises(ValueError):
        certs.make_certificate('empty', not_before_days=5, days=5)
    with pytest.raises(ValueError):
        certs.make_certificate('dsa', key_type='dsa')


def test_certificates_are_distinct():
    assert certs.make_certificate('same').b64 != certs.make_certificate('same').b64
