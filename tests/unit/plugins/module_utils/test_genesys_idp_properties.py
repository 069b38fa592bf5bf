# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: any valid option set converges in one run and stays converged.

Runs the genesys_identity_provider core against the in-memory fake API (which
filters fields per type and stores bodies as written, like the emulator),
starting from an empty org or from a provider another random option set
created, for every type of both families.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import RunContext
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_provider_model as idp
from ansible_collections.genesyscloud.sso.plugins.module_utils import _genesys_identity_provider_core as idp_core
from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.genesys_idp_fake import (
    FakeIdpApi,
    bare,
    make_cert,
)

CERT_POOL = [make_cert('pool-%d' % i) for i in range(4)]

TEXT = st.text(alphabet='abcdefghijklmnopqrstuvwxyzABC0123456789 -_.', min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s)
URL = st.builds(lambda host, path: 'https://%s.example/%s' % (host, path),
                st.sampled_from(['idp', 'sso', 'login']), st.text(alphabet='abc/123', max_size=10))


def _encodings(pem):
    return st.sampled_from([pem, pem.replace('\n', '\r\n'), bare(pem), '  ' + bare(pem) + '\n'])


CERTS = st.lists(st.sampled_from(range(len(CERT_POOL))), min_size=1, max_size=4, unique=True).flatmap(
    lambda idx: st.tuples(*[_encodings(CERT_POOL[i]) for i in idx]).map(list))

OPTION_STRATEGIES = dict(
    name=TEXT,
    enabled=st.booleans(),
    issuer_uri=st.one_of(URL, st.builds(lambda s: 'urn:idp:%s' % s, TEXT)),
    sso_target_uri=URL,
    slo_uri=URL,
    slo_binding=st.sampled_from(['HTTP Redirect', 'HTTP Post', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect']),
    relying_party_identifier=TEXT,
    certificates=CERTS,
    name_identifier_format=st.sampled_from(['emailAddress', 'EmailAddress', 'persistent', 'transient', 'unspecified',
                                            'urn:oasis:names:tc:SAML:2.0:nameid-format:entity']),
    sso_binding=st.sampled_from(['HTTP-POST', 'HTTP-Redirect', 'post', 'redirect',
                                 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST']),
    sign_authn_requests=st.booleans(),
    endpoint_compression=st.booleans(),
    logo_image_data=st.binary(min_size=1, max_size=64).map(lambda b: base64.b64encode(b).decode('ascii')),
    provider_name=TEXT,
    display_on_login=st.booleans(),
    metadata_url=URL,
    force_authn=st.booleans(),
    auto_provision_users=st.booleans(),
)


@st.composite
def option_sets(draw, ptype):
    """A valid option set for ``ptype`` (enough to create the provider)."""
    supported = [o for o in idp.PROVIDER_OPTIONS if idp.supports(ptype, o)]
    chosen = draw(st.lists(st.sampled_from(supported), unique=True, max_size=len(supported)))
    options = dict((o, draw(OPTION_STRATEGIES[o])) for o in chosen)
    if ptype in idp.SAML_TYPES:
        options.setdefault('issuer_uri', draw(OPTION_STRATEGIES['issuer_uri']))
    if ptype in ('generic', 'custom'):
        options.setdefault('name', 'Provider %s' % ptype)
    if ptype == 'custom':
        options['name'] = 'Custom provider'   # the lookup key stays the same across runs
    return options


def _run(api, check=False, **options):
    p = dict((k, v.get('default')) for k, v in idp_core.SPEC['argument_spec'].items())
    p.update(api_url='https://api.mypurecloud.ie', client_id='c', client_secret='s', org_short_name='acme',
             force=True)  # the lockout guard has its own tests
    p.update(options)
    ctx = RunContext(check_mode=check, diff_mode=True)
    return idp_core.core(p, ctx, client=api)


SCENARIOS = st.sampled_from(idp.ALL_TYPES).flatmap(
    lambda t: st.tuples(st.just(t), st.one_of(st.none(), option_sets(t)), option_sets(t)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCENARIOS)
def test_random_option_sets_converge_in_one_run_and_stay_converged(scenario):
    ptype, initial, options = scenario
    api = FakeIdpApi()
    if initial is not None:
        _run(api, type=ptype, **initial)
    checked = _run(api, check=True, type=ptype, **options)
    writes_before = len(api.writes())
    first = _run(api, type=ptype, **options)
    assert first['changed'] == checked['changed']
    assert first['diff'] == checked['diff']
    assert len(api.writes()) == writes_before + (1 if first['changed'] else 0)
    writes_after_first = len(api.writes())
    for check in (True, False):
        again = _run(api, check=check, type=ptype, **options)
        assert again['changed'] is False, (ptype, options, again['changed_options'])
        assert again['diff']['before'] == again['diff']['after']
    assert len(api.writes()) == writes_after_first
    # a custom provider is never duplicated
    if ptype == 'custom':
        assert len(api.custom) == 1
    # the end state holds every option that was set
    provider = first['provider']
    for option, value in options.items():
        if option == 'certificates':
            assert len(provider['certificates']) == len(value)
        elif option == 'enabled':
            assert provider['enabled'] is value
        elif option in ('name_identifier_format', 'sso_binding', 'logo_image_data'):
            assert provider[option]
        elif isinstance(value, bool):
            assert provider.get(option, False) is value   # the API omits unset booleans (false)
        else:
            assert provider[option] == value


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([t for t in idp.ALL_TYPES if t != 'purecloud']).flatmap(
    lambda t: st.tuples(st.just(t), option_sets(t), option_sets(t))))
def test_fields_the_user_does_not_set_are_never_wiped(scenario):
    ptype, initial, update = scenario
    api = FakeIdpApi()
    _run(api, type=ptype, **initial)
    pid = list(api.custom)[0] if ptype == 'custom' else None
    before = api.state(ptype, pid)
    update = dict((k, v) for k, v in update.items() if k not in initial or k == 'name')
    _run(api, type=ptype, **update)
    after = api.state(ptype, pid)
    touched = set(idp.OPTION_TO_FIELD[o] for o in update)
    if 'certificates' in touched:
        touched.add('certificate')
    for field, value in before.items():
        if field not in touched:
            assert after.get(field) == value, field
