"""Shared fixtures: one emulator process per test module (module-scoped), a plain requests helper."""

import copy
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genesys_emulator.saml_idp import TestIdP  # noqa: E402
from genesys_emulator.testing import EmulatorProcess  # noqa: E402

ORG = "acme-prod"
ORG2 = "beta-org"
ADMIN = ("admin-client", "admin-secret")
VIEWER = ("viewer-client", "viewer-secret")
EDITOR = ("editor-client", "editor-secret")
NOPERM = ("noperm-client", "noperm-secret")
BOT = ("bot-client", "bot-secret")
PASSWORD_CLIENT = ("pw-client", "pw-secret")
SAML_CLIENT = ("saml-client", "saml-secret")
DISABLED = ("disabled-client", "disabled-secret")
SHORT = ("short-client", "short-secret")
BETA_ADMIN = ("beta-admin", "beta-secret")
USER = ("alice@acme.example", "correct-horse")

BASE_SEED = {
    "orgs": [
        {
            "name": ORG,
            "id": "5d3e1a2b-0000-4000-8000-000000000001",
            "display_name": "Acme Production",
            "region": "eu-west-1",
            "clients": [
                {"id": ADMIN[0], "secret": ADMIN[1], "name": "SSO automation",
                 "permissions": ["sso:provider:*", "oauth:client:view"],
                 "roles": [{"id": "3b7c0000-0000-4000-8000-000000000001", "name": "SSO Admin", "division_id": "*"}]},
                {"id": VIEWER[0], "secret": VIEWER[1], "permissions": ["sso:provider:view"]},
                {"id": EDITOR[0], "secret": EDITOR[1], "permissions": ["sso:provider:edit", "sso:provider:view"]},
                {"id": NOPERM[0], "secret": NOPERM[1], "permissions": []},
                {"id": BOT[0], "secret": BOT[1], "name": "Preserved bot", "permissions": ["analytics:*"]},
                {"id": PASSWORD_CLIENT[0], "secret": PASSWORD_CLIENT[1], "grant_type": "PASSWORD",
                 "permissions": ["*"], "scope": ["identity-providers"]},
                {"id": SAML_CLIENT[0], "secret": SAML_CLIENT[1], "grant_type": "SAML2-BEARER", "permissions": ["*"]},
                {"id": DISABLED[0], "secret": DISABLED[1], "state": "disabled", "permissions": ["*"]},
                {"id": SHORT[0], "secret": SHORT[1], "permissions": ["*"], "access_token_validity_seconds": 1},
            ],
            "users": [{"email": USER[0], "password": USER[1]}],
        },
        {
            "name": ORG2,
            "clients": [{"id": BETA_ADMIN[0], "secret": BETA_ADMIN[1], "permissions": ["*"]}],
            "users": [{"email": "bob@beta.example", "password": "pw"}],
            "providers": {"purecloud": {"name": "PureCloud", "disabled": True},
                          "okta": {"name": "Okta", "issuerURI": "http://www.okta.com/beta", "extraField": 1},
                          "custom": [{"name": "Corp IdP", "issuerURI": "https://corp.example/idp"}]},
        },
    ]
}


def seed(**changes):
    data = copy.deepcopy(BASE_SEED)
    data.update(changes)
    return data


class Client:
    """Plain HTTP client (requests) against one emulator; verify= on every call (REQUESTS_CA_BUNDLE)."""

    def __init__(self, emu):
        self.emu = emu
        self.url = emu.url
        self.session = requests.Session()

    def request(self, method, path, token=None, headers=None, **kwargs):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return self.session.request(method, self.url + path, headers=hdrs, verify=self.emu.ca_path, timeout=30,
                                    **kwargs)

    def token_response(self, client, grant="client_credentials", basic=True, **fields):
        data = {"grant_type": grant}
        data.update(fields)
        if basic:
            return self.session.post(self.url + "/oauth/token", data=data, auth=client, verify=self.emu.ca_path,
                                     timeout=30)
        data.update({"client_id": client[0], "client_secret": client[1]})
        return self.session.post(self.url + "/oauth/token", data=data, verify=self.emu.ca_path, timeout=30)

    def token(self, client):
        resp = self.token_response(client)
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]


@pytest.fixture(scope="module")
def emu():
    with EmulatorProcess(seed=seed()) as proc:
        yield proc


@pytest.fixture(scope="module")
def http(emu):
    client = Client(emu)
    yield client
    client.session.close()


@pytest.fixture()
def fresh(emu):
    """Reset the module's emulator to the seed state before a test."""
    emu.reset()
    return emu


@pytest.fixture(scope="session")
def idp():
    return TestIdP(entity_id="https://idp.acme.example/entity", sso_url="https://idp.acme.example/sso")


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["contextId"] == resp.headers["ININ-Correlation-Id"]
    assert body["details"] == [] or isinstance(body["details"], list)
    assert body["errors"] == []
    return body


def pytest_configure(config):
    """One emulator per module: keep each module on one xdist worker (``-n 2`` would otherwise start every
    module's emulator on both workers and interleave the tests that reset it)."""
    if getattr(config.option, "dist", None) == "load":
        config.option.dist = "loadfile"
