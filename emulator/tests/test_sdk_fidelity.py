"""Fidelity: the official Python SDK (purecloudplatformclientv2) as the client, pointed at the emulator."""

import json
import ssl

import pytest
import PureCloudPlatformClientV2 as pc
from PureCloudPlatformClientV2.rest import ApiException

from conftest import ADMIN, NOPERM, ORG, VIEWER
from genesys_emulator import models


def make_client(emu, creds):
    # the SDK takes its TLS trust from Configuration().ssl_context (a singleton) when it builds the client
    pc.Configuration().ssl_context = ssl.create_default_context(cafile=emu.ca_path)
    api_client = pc.api_client.ApiClient(host=emu.url)
    api_client.get_client_credentials_token(creds[0], creds[1])
    return api_client


@pytest.fixture(scope="module")
def sdk(emu):
    return make_client(emu, ADMIN)


def error_body(exc):
    body = json.loads(exc.body)
    return body


def test_client_credentials_token_and_tokens_me(emu, sdk):
    info = pc.TokensApi(sdk).get_tokens_me()
    assert isinstance(info, pc.TokenInfo)
    assert info.organization.name == "Acme Production"
    assert info.o_auth_client.id == ADMIN[0]
    assert info.o_auth_client.authorized_grant_type == "CLIENT-CREDENTIALS"
    assert info.o_auth_client.role_divisions[0].division_id == "*"
    assert info.o_auth_client.organization.id == "5d3e1a2b-0000-4000-8000-000000000001"
    log = emu.requests(org=ORG)
    token_calls = [e for e in log if e["path"] == "/oauth/token" and e["client"] == ADMIN[0]]
    assert token_calls and token_calls[-1]["status"] == 200


def test_head_and_organizations_me(sdk):
    pc.TokensApi(sdk).head_tokens_me()
    org = pc.OrganizationApi(sdk).get_organizations_me()
    assert isinstance(org, pc.Organization)
    assert org.third_party_org_name == ORG
    assert org.domain == "mypurecloud.ie"
    assert org.product_platform == "GenesysCloud"


def test_oauth_clients(sdk):
    api = pc.OAuthApi(sdk)
    listing = api.get_oauth_clients()
    ids = {c.id for c in listing.entities}
    assert ADMIN[0] in ids and "bot-client" in ids
    assert all(getattr(c, "secret", None) in (None, "") for c in listing.entities)
    one = api.get_oauth_client(ADMIN[0])
    assert one.name == "SSO automation" and one.secret is None
    with pytest.raises(ApiException) as err:
        api.get_oauth_client("nope")
    assert err.value.status == 404
    assert error_body(err.value)["code"] == "client.not.found"


def test_per_type_provider_lifecycle(emu, sdk, idp):
    emu.reset()
    client = make_client(emu, ADMIN)
    api = pc.IdentityProviderApi(client)
    with pytest.raises(ApiException) as err:
        api.get_identityproviders_okta()
    assert err.value.status == 404 and error_body(err.value)["code"] == "not.found"
    body = pc.Okta()
    body.name = "Okta"
    body.issuer_uri = idp.entity_id
    body.sso_target_uri = idp.sso_url
    body.certificates = [idp.certificate_b64]
    body.relying_party_identifier = "urn:acme"
    body.disabled = False
    short = api.put_identityproviders_okta(body)
    assert isinstance(short, pc.IdentityProvider)
    assert short.name == "Okta" and short.disabled is False and short.id
    got = api.get_identityproviders_okta()
    assert isinstance(got, pc.Okta)
    assert got.issuer_uri == idp.entity_id
    assert got.certificates == [idp.certificate_b64]
    assert got.certificate is None
    assert got.self_uri == "/api/v2/identityproviders/okta"
    listing = api.get_identityproviders()
    assert [e.issuer_uri for e in listing.entities if e.self_uri.endswith("/okta")] == [idp.entity_id]
    api.delete_identityproviders_okta()
    with pytest.raises(ApiException) as err:
        api.get_identityproviders_okta()
    assert err.value.status == 404


def test_identitynow_put_returns_full_object(emu, idp):
    emu.reset()
    api = pc.IdentityProviderApi(make_client(emu, ADMIN))
    body = pc.IdentityNow()
    body.name = "IdN"
    body.issuer_uri = idp.entity_id
    body.certificate = idp.certificate_pem
    full = api.put_identityproviders_identitynow(body)
    assert isinstance(full, pc.IdentityNow)
    assert full.certificate == idp.certificate_pem and full.issuer_uri == idp.entity_id


def test_custom_provider_lifecycle(emu, idp):
    emu.reset()
    api = pc.IdentityProviderApi(make_client(emu, ADMIN))
    body = pc.CustomProvider()
    body.name = "Corp"
    body.issuer_uri = idp.entity_id
    body.sso_target_uri = idp.sso_url
    body.certificate = idp.certificate_b64
    body.certificates = [idp.certificate_b64]
    body.endpoint_compression = True
    body.name_identifier_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    created = api.post_identityproviders(body)
    assert isinstance(created, pc.CustomProvider) and created.id
    assert created.endpoint_compression is True
    got = api.get_identityprovider(created.id)
    assert got.name == "Corp" and got.certificate == idp.certificate_b64
    body.name = "Corp renamed"
    body.disabled = True
    updated = api.put_identityprovider(created.id, body)
    assert updated.name == "Corp renamed" and updated.disabled is True
    listing = api.get_identityproviders()
    assert created.id in {e.id for e in listing.entities}
    assert api.delete_identityprovider(created.id) is None
    with pytest.raises(ApiException) as err:
        api.get_identityprovider(created.id)
    assert err.value.status == 404


def test_error_cases_are_api_exceptions_with_error_body(emu):
    # validation error
    api = pc.IdentityProviderApi(make_client(emu, ADMIN))
    bad = pc.GenericSAML()
    bad.issuer_uri = "https://idp.example"
    with pytest.raises(ApiException) as err:
        api.put_identityproviders_generic(bad)
    body = error_body(err.value)
    assert err.value.status == 400 and body["code"] == "missing.provider.name"
    assert body["contextId"] == err.value.headers["ININ-Correlation-Id"]
    # permission error names the permission
    viewer = pc.IdentityProviderApi(make_client(emu, VIEWER))
    ok = pc.Okta()
    ok.issuer_uri = "https://idp.example"
    with pytest.raises(ApiException) as err:
        viewer.put_identityproviders_okta(ok)
    body = error_body(err.value)
    assert err.value.status == 403 and body["code"] == "missing.any.permissions"
    assert "sso:provider:add" in body["message"] and "sso:provider:edit" in body["message"]
    noperm = pc.IdentityProviderApi(make_client(emu, NOPERM))
    with pytest.raises(ApiException) as err:
        noperm.get_identityproviders()
    assert "sso:provider:view" in error_body(err.value)["message"]
    # revoked token
    client = make_client(emu, ADMIN)
    pc.TokensApi(client).delete_tokens_me()
    with pytest.raises(ApiException) as err:
        pc.TokensApi(client).get_tokens_me()
    assert err.value.status == 401 and error_body(err.value)["code"] == "bad.credentials"


def test_bad_client_credentials_fail_in_the_sdk(emu):
    pc.Configuration().ssl_context = ssl.create_default_context(cafile=emu.ca_path)
    api_client = pc.api_client.ApiClient(host=emu.url)
    with pytest.raises(Exception) as err:  # the SDK raises ApiException (non-2xx) from its token helper
        api_client.get_client_credentials_token(ADMIN[0], "wrong")
    assert getattr(err.value, "status", None) == 401
    assert json.loads(err.value.body)["error"] == "invalid_client"


@pytest.mark.parametrize("ptype", sorted(models.PROVIDER_TYPES) + ["custom"])
def test_field_sets_match_sdk_models(ptype):
    sdk_names = {"adfs": "ADFS", "cic": "CustomerInteractionCenter", "generic": "GenericSAML", "gsuite": "GSuite",
                 "identitynow": "IdentityNow", "okta": "Okta", "onelogin": "OneLogin", "ping": "PingIdentity",
                 "purecloud": "PureCloud", "pureengage": "PureEngage", "salesforce": "Salesforce",
                 "custom": "CustomProvider"}
    sdk_model = getattr(pc, sdk_names[ptype])()
    assert set(models.model_fields(ptype)) == set(sdk_model.attribute_map.values())


def test_other_models_match_sdk():
    for ours, theirs in ((models.SAMLProvider, pc.SAMLProvider), (models.TokenInfo, pc.TokenInfo),
                         (models.Organization, pc.Organization), (models.ErrorBody, pc.ErrorBody),
                         (models.OrgOAuthClient, pc.OrgOAuthClient)):
        assert set(ours.model_fields) == set(theirs().attribute_map.values()), ours
    # OAuthClient: ours never carries the secret
    assert set(models.OAuthClient.model_fields) | {"secret"} == set(pc.OAuthClient().attribute_map.values())
