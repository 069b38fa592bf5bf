# -*- coding: utf-8 -*-
"""What a user sees of the saml_sso role's input checks (issue 13 B8, C9): real ``ansible-playbook`` output.

An input error is one line naming the option (no 11 KB dump of the argument spec, no secret, at default verbosity
and at -vvv), with the collection's configure and audit playbooks; a misspelt variable names the closest input;
the inputs of the other entry point (one inventory for both playbooks) are not typos.
"""

import pytest

from helpers import DEFAULT_SEED, run_playbook
from role_helpers import AUDIT, CONFIGURE, secrets_of

from genesys_emulator.saml_idp import TestIdP

IDP = TestIdP(entity_id='https://idp.safety.example/entity', sso_url='https://idp.safety.example/sso')
ADMIN_SECRET = 'e2e-admin-secret-7f3a91'
BOT_SECRET = 'e2e-bot-secret-5c2e77'
ENV_TOKEN = 'env-access-token-Qm4d0T9s'
FIRST_TASK = 'genesyscloud.sso.saml_sso : Start the record of this org and check the inputs before any request'


def _inventory(emu, **host_vars):
    host = {
        'saml_sso_api_url': emu.url, 'saml_sso_login_url': emu.url, 'saml_sso_ca_path': emu.ca_path,
        'saml_sso_provider': {'type': 'generic', 'name': 'Corp IdP', 'issuer_uri': IDP.entity_id,
                              'sso_target_uri': IDP.sso_url, 'certificates': [IDP.certificate_pem]},
        'saml_sso_preserved_clients': [{'name': 'bot', 'client_id': 'e2e-bot', 'client_secret': BOT_SECRET}],
    }
    host.update(host_vars)
    return {'genesys_orgs': {'hosts': {'e2e-org': host}}}


def _env():
    # the admin credentials and a token in the environment, as a CI job or an AWX credential sets them
    return {'GENESYSCLOUD_OAUTHCLIENT_ID': 'e2e-admin', 'GENESYSCLOUD_OAUTHCLIENT_SECRET': ADMIN_SECRET,
            'GENESYSCLOUD_ACCESS_TOKEN': ENV_TOKEN}


def _assert_clean(result):
    for secret in secrets_of(DEFAULT_SEED) + [ENV_TOKEN]:
        assert secret not in result.output
    assert 'argument_spec_data' not in result.output and 'Validating arguments against arg spec' not in result.output


@pytest.mark.parametrize('verbosity', [0, 3])
def test_a_type_error_is_one_line_naming_the_option_and_prints_no_secret(emu, tmp_path, verbosity):
    result = run_playbook(CONFIGURE, inventory=_inventory(emu, saml_sso_backup_dir=str(tmp_path)), env=_env(),
                          extra_vars={'saml_sso_retries': 'notanumber'}, verbosity=verbosity)
    assert result.rc != 0
    _assert_clean(result)
    expected = ('Invalid input for e2e-org: saml_sso_retries must be of type int (it is a str that does not convert '
                'to one). Fix it in the inventory, group_vars, vars or -e and run again.')
    assert result.task(FIRST_TASK)['result']['ansible_facts']['_saml_sso_error'] == expected
    fatal = [line for line in result.stdout.splitlines() if line.startswith('fatal: [e2e-org]')]
    assert expected in fatal[-1] or verbosity  # the closing failure of the org (one JSON line at default verbosity)
    assert result.stdout.count(expected) >= 3  # the check, the summary of the org, the closing lines
    assert emu.requests(org='e2e-org') == []  # before any request
    if not verbosity:
        assert len(result.stdout) < 8000, len(result.stdout)  # no 11 KB dump of the argument spec


def test_a_misspelt_variable_in_extra_vars_names_the_closest_and_sends_nothing(emu, tmp_path):
    result = run_playbook(CONFIGURE, inventory=_inventory(emu, saml_sso_backup_dir=str(tmp_path)), env=_env(),
                          extra_vars={'saml_sso_rolback_on_failure': False})
    assert result.rc != 0
    _assert_clean(result)
    assert ('saml_sso_rolback_on_failure is not a variable of the saml_sso role (did you mean '
            'saml_sso_rollback_on_failure?)') in result.stdout
    assert emu.requests(org='e2e-org') == []


def test_the_audit_playbook_checks_its_inputs_the_same_way(emu):
    result = run_playbook(AUDIT, inventory=_inventory(emu), env=_env(),
                          extra_vars={'saml_sso_audit_expiring_within_day': 10})
    assert result.rc != 0
    _assert_clean(result)
    assert ('saml_sso_audit_expiring_within_day is not a variable of the saml_sso role (did you mean '
            'saml_sso_audit_expiring_within_days?)') in result.stdout
    assert emu.requests(org='e2e-org') == []


def test_one_inventory_for_both_playbooks_is_not_a_typo(emu, tmp_path):
    inv = _inventory(emu, saml_sso_backup_dir=str(tmp_path), saml_sso_audit_fail_on_findings=False)
    audit = run_playbook(AUDIT, inventory=inv, env=_env())  # saml_sso_provider and the backup dir are main's inputs
    assert audit.rc == 0, audit
    configure = run_playbook(CONFIGURE, inventory=inv, env=_env(), check=True)  # and the audit's input is not a typo
    assert configure.rc == 0, configure
    _assert_clean(audit)
    _assert_clean(configure)


def test_the_audit_without_preserved_clients_says_not_verified_in_its_closing_line(emu):
    result = run_playbook(AUDIT, inventory=_inventory(emu, saml_sso_preserved_clients=[]), env=_env())
    assert result.rc == 0, result
    _assert_clean(result)
    closing = result.task('genesyscloud.sso.saml_sso : Summarise every org of this run')['result']['msg']
    assert closing[0].endswith('; OAuth automation NOT verified: no preserved clients configured (e2e-org)'), closing
    assert 'OAuth automation NOT verified: no preserved clients configured (saml_sso_preserved_clients is empty)' in (
        result.stdout)
