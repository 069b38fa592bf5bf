"""Platform variants (issue 14 item 1) and the small fidelity points (item 5): endpoint.json removed on
SIGTERM/SIGINT, a serial-0 certificate accepted without a CryptographyDeprecationWarning.

One emulator for the module (conftest ``emu``, started with the default variants); each test changes the
variants at run time and ``fresh`` (``POST /_emulator/reset``) restores them. A second emulator covers the
start-time paths (profile, file, ``--variant``) and what reset keeps. Lags are scaled down (≤ 2.5 s)."""

import datetime
import os
import signal
import time
import warnings

import pytest

from conftest import ADMIN, ORG, Client, assert_error, seed
from genesys_emulator import server, validation
from genesys_emulator import variants as variants_mod
from genesys_emulator.saml_idp import TestIdP
from genesys_emulator.testing import EmulatorError, EmulatorProcess

BASE = "/api/v2/identityproviders"
FILLED_RP = "https://login.mypurecloud.ie/saml"  # acme-prod is in eu-west-1

# Serial number 0, like Terraform's test certificate (RFC 5280 wants a positive serial); valid 2026-2046.
SERIAL0_PEM = """-----BEGIN CERTIFICATE-----
MIIDOjCCAiKgAwIBAgIBADANBgkqhkiG9w0BAQsFADA2MTQwMgYDVQQDDCtUZXJy
YWZvcm0tc3R5bGUgdGVzdCBjZXJ0aWZpY2F0ZSAoc2VyaWFsIDApMB4XDTI2MTIw
MTA5MTYyN1oXDTQ2MTEyNjA5MTYyN1owNjE0MDIGA1UEAwwrVGVycmFmb3JtLXN0
eWxlIHRlc3QgY2VydGlmaWNhdGUgKHNlcmlhbCAwKTCCASIwDQYJKoZIhvcNAQEB
BQADggEPADCCAQoCggEBAM8KNIJuTbFfR2rg8Ok9yTa8C0O7xDza06VblVFyQdMx
lgwAHRCifui1LdBsW2XOVzEtC0KHmfcx2Jj6RioEMqRw/Z3P//kmqjzB/mGszssz
DtzHmvyxQQVXFEkselPbOKGWMf67vadDtBUAtms9dNBHyC47dDga7L51pvr2WKgr
8wu4d1EEOLQG2H+OO6szCujsh4RWQ0Noah68NyPAWQLpVyU36LWbujxTLyroI8mn
YE6rHbNvue+i78YYmKK4Qo6v49cwdqRy0XcFgLqdw4Em9aDrsxhJDFDWu6GtKvCm
0Zh+M07qQIvZTkWxAQzQ3aP9cKFM37IfIXbVdaBYy8sCAwEAAaNTMFEwHQYDVR0O
BBYEFKAZ+VA735/qdCYt7r4xbDGnqx8+MB8GA1UdIwQYMBaAFKAZ+VA735/qdCYt
7r4xbDGnqx8+MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAC7+
ZYD9pXPmJTx6XN7+iya0y68vnARdtB1Ieu/UzpZgvlAibXW6i1IgZYVs1IWOHPyS
8VgEHA1KEWfw19hFKBLCEhdUveQ5GxpJkng5SBX6HOMA9/pYpqfJdUQvUL7k9FfW
i5HFjiJVf+PQTrX7chGlPjodQY14z2zFn+bdyuyHzgyVQ3awxGjPmFQ8mvJYaJ29
LiLFDaNVtENhav8Rk9lQ+Err6n4wBKNOhdhm/ndmQteaV4MS9JW+AaCS0XS33jSC
M/7W+aNlF5lluBe+ZRjKHaXmi/FyU1Kxa1VRfwlT3m/D+vksZvxr+AwroyeJVIgd
UrQoDDWBkUo2OE1IHFs=
-----END CERTIFICATE-----
"""


@pytest.fixture(scope="module")
def idp2():
    return TestIdP(entity_id="https://idp2.acme.example/entity", sso_url="https://idp2.acme.example/sso")


@pytest.fixture()
def api(fresh, http):
    """(call, emulator) with an admin token of acme-prod, on the reset (default-variant) emulator."""
    token = http.token(ADMIN)

    def call(method, path, **kwargs):
        return http.request(method, path, token=token, **kwargs)
    return call, fresh


def body(idp, **extra):
    data = {"name": "Okta", "issuerURI": idp.entity_id, "ssoTargetURI": idp.sso_url, "disabled": False}
    data.update(extra)
    return data


def custom_body(idp, name="Corp IdP", **extra):
    return body(idp, name=name, **extra)


def listing(call, **params):
    resp = call("GET", BASE, params=params or None)
    assert resp.status_code == 200, resp.text
    return resp.json()


def names(page):
    return sorted(e.get("name") for e in page["entities"])


def wait_until(deadline):
    time.sleep(max(0.0, deadline - time.monotonic()))


# ---- defaults ------------------------------------------------------------------------------------
def test_defaults_are_todays_behaviour(api, idp):
    call, emu = api
    assert emu.variants() == variants_mod.DEFAULTS
    assert call("PUT", BASE + "/okta", json=body(idp, certificate=idp.certificate_pem)).status_code == 200
    got = call("GET", BASE + "/okta").json()  # no read lag: the new state at once
    assert got["certificate"] == idp.certificate_pem and "certificates" not in got  # verbatim, not mirrored
    assert "relyingPartyIdentifier" not in got
    assert got["id"] != "okta" and got["selfUri"] == BASE + "/okta"  # uuid id, selfUri by type
    page = listing(call, pageSize=1)  # unpaged: the query is ignored, one page holds everything
    assert page["pageCount"] == 1 and page["pageSize"] == 25 and "nextUri" not in page
    assert [e["id"] for e in page["entities"]] == [got["id"]]
    assert call("GET", BASE + "/" + got["id"]).status_code == 404  # a per-type uuid is not a providerId
    resp = call("PUT", BASE + "/okta", json=body(idp, bogus=1, ssoBinding="HTTP Post"))
    assert resp.status_code == 200  # unknown fields dropped, ssoBinding kept
    assert call("GET", BASE + "/okta").json()["ssoBinding"] == "HTTP Post"
    call("PUT", BASE + "/purecloud", json={"name": "PureCloud", "disabled": True})
    assert call("DELETE", BASE + "/okta").status_code == 200  # the last provider may go


# ---- read_lag_s and listing_lag_s ----------------------------------------------------------------
def test_read_lag_answers_the_previous_state(api, idp):
    call, emu = api
    lag = 2.5
    assert emu.variants(read_lag_s=lag)["read_lag_s"] == lag
    assert call("PUT", BASE + "/generic", json=body(idp, name="Gen v1")).status_code == 200
    wait_until(time.monotonic() + lag + 0.1)  # generic v1 settled
    start = time.monotonic()
    put = call("PUT", BASE + "/okta", json=body(idp))
    assert put.status_code == 200 and put.json()["name"] == "Okta"  # the write answer is never stale
    created = call("POST", BASE, json=custom_body(idp)).json()
    assert call("PUT", BASE + "/generic", json=body(idp, name="Gen v2")).status_code == 200
    assert call("GET", BASE + "/okta").status_code == 404  # did not exist before the write
    assert call("GET", BASE + "/" + created["id"]).status_code == 404
    assert call("GET", BASE + "/generic").json()["name"] == "Gen v1"  # the previous state
    assert time.monotonic() - start < lag, "too slow to observe the lag window"
    assert "Okta" in names(listing(call))  # the listing is not lagged by read_lag_s
    wait_until(start + lag + 0.2)
    assert call("GET", BASE + "/okta").json()["name"] == "Okta"
    assert call("GET", BASE + "/" + created["id"]).json()["name"] == "Corp IdP"
    assert call("GET", BASE + "/generic").json()["name"] == "Gen v2"
    start = time.monotonic()
    assert call("DELETE", BASE + "/okta").status_code == 200
    assert call("DELETE", BASE + "/" + created["id"]).status_code == 204
    assert call("GET", BASE + "/okta").json()["name"] == "Okta"  # still served from before the delete
    assert call("GET", BASE + "/" + created["id"]).status_code == 200
    assert call("DELETE", BASE + "/okta").status_code == 404  # writes see the real state
    assert time.monotonic() - start < lag, "too slow to observe the lag window"
    wait_until(start + lag + 0.2)
    assert call("GET", BASE + "/okta").status_code == 404
    assert call("GET", BASE + "/" + created["id"]).status_code == 404


def test_listing_lag_shows_changes_later(api, idp):
    call, emu = api
    lag = 2.0
    assert call("PUT", BASE + "/okta", json=body(idp, name="Okta v1")).status_code == 200
    old = call("POST", BASE, json=custom_body(idp, name="Old IdP")).json()
    emu.variants(listing_lag_s=lag)
    start = time.monotonic()
    new = call("POST", BASE, json=custom_body(idp, name="New IdP")).json()
    call("PUT", BASE + "/okta", json=body(idp, name="Okta v2"))
    assert call("DELETE", BASE + "/" + old["id"]).status_code == 204
    page = listing(call)
    assert call("GET", BASE + "/" + new["id"]).status_code == 200  # reads are not lagged by listing_lag_s
    assert time.monotonic() - start < lag, "too slow to observe the lag window"
    assert names(page) == ["Okta v1", "Old IdP"] and page["total"] == 2
    assert [e["name"] for e in page["entities"]] == ["Okta v1", "Old IdP"]  # per-type first, then custom
    wait_until(start + lag + 0.2)
    assert names(listing(call)) == ["New IdP", "Okta v2"]


# ---- listing_ids / listing_self_uri --------------------------------------------------------------
def test_listing_ids_and_self_uri(api, idp):
    call, emu = api
    put = call("PUT", BASE + "/okta", json=body(idp)).json()
    uid = put["id"]
    created = call("POST", BASE, json=custom_body(idp)).json()
    emu.variants(listing_ids="type")
    entry = [e for e in listing(call)["entities"] if e["name"] == "Okta"][0]
    got = call("GET", BASE + "/okta").json()
    assert entry["id"] == got["id"] == "okta" and entry["selfUri"] == got["selfUri"] == BASE + "/okta"
    assert call("PUT", BASE + "/okta", json=body(idp)).json()["id"] == "okta"
    emu.variants(listing_ids="uuid", listing_self_uri="id")
    entries = {e["name"]: e for e in listing(call)["entities"]}
    assert entries["Okta"]["id"] == uid and entries["Okta"]["selfUri"] == BASE + "/" + uid
    assert entries["Corp IdP"]["id"] == created["id"] and entries["Corp IdP"]["selfUri"] == BASE + "/" + created["id"]
    followed = call("GET", entries["Okta"]["selfUri"])  # following the selfUri reaches the per-type provider
    assert followed.status_code == 200 and followed.json()["name"] == "Okta" and followed.json()["id"] == uid
    assert call("GET", BASE + "/okta").json()["selfUri"] == BASE + "/" + uid
    assert call("PUT", BASE + "/okta", json=body(idp)).json()["selfUri"] == BASE + "/" + uid


# ---- page_size -----------------------------------------------------------------------------------
def test_page_size_pages_with_next_uri(api, idp):
    call, emu = api
    call("PUT", BASE + "/okta", json=body(idp))
    ids = {call("POST", BASE, json=custom_body(idp, name="IdP %d" % i)).json()["id"] for i in range(3)}
    emu.variants(page_size=2)
    first = listing(call)
    assert (first["pageSize"], first["pageNumber"], first["pageCount"], first["total"]) == (2, 1, 2, 4)
    assert len(first["entities"]) == 2 and "previousUri" not in first
    assert first["nextUri"] == BASE + "?pageSize=2&pageNumber=2"
    resp = call("GET", first["nextUri"])
    second = resp.json()
    assert second["pageNumber"] == 2 and "nextUri" not in second and second["previousUri"] == first["selfUri"]
    seen = [e["id"] for e in first["entities"] + second["entities"]]
    assert len(seen) == 4 and ids <= set(seen)
    assert listing(call, pageSize=1, pageNumber=3)["entities"][0]["id"] == seen[2]  # smaller pages honoured
    assert listing(call, pageSize=100)["pageSize"] == 2  # never more than the platform's page size
    assert listing(call, pageNumber=9)["entities"] == []
    assert_error(call("GET", BASE, params={"pageNumber": "x"}), 400, "bad.request")


# ---- certificate_echo ----------------------------------------------------------------------------
def test_certificate_echo_bare_base64_mirrors_one_certificate(api, idp, idp2):
    call, emu = api
    emu.variants(certificate_echo="bare_base64")
    for path, data in ((BASE + "/okta", body(idp, certificate=idp.certificate_pem)),
                       (BASE + "/ping", body(idp, certificates=[idp.certificate_pem]))):
        assert call("PUT", path, json=data).status_code == 200
        got = call("GET", path).json()
        assert got["certificate"] == idp.certificate_b64 and got["certificates"] == [idp.certificate_b64]
    call("PUT", BASE + "/okta", json=body(idp, certificates=[idp.certificate_pem, idp2.certificate_pem]))
    got = call("GET", BASE + "/okta").json()
    assert got["certificates"] == [idp.certificate_b64, idp2.certificate_b64] and "certificate" not in got
    created = call("POST", BASE, json=custom_body(idp, certificate=idp.certificate_pem)).json()
    assert created["certificate"] == idp.certificate_b64 and created["certificates"] == [idp.certificate_b64]
    entry = [e for e in listing(call)["entities"] if e["id"] == created["id"]][0]
    assert "BEGIN" not in entry["certificate"] and "\n" not in entry["certificate"]


# ---- fill_relying_party --------------------------------------------------------------------------
def test_fill_relying_party(api, idp):
    call, emu = api
    emu.variants(fill_relying_party=True)
    call("PUT", BASE + "/okta", json=body(idp))
    call("PUT", BASE + "/adfs", json=body(idp, relyingPartyIdentifier=""))
    call("PUT", BASE + "/gsuite", json=body(idp, relyingPartyIdentifier="urn:mine"))
    assert call("GET", BASE + "/okta").json()["relyingPartyIdentifier"] == FILLED_RP
    assert call("GET", BASE + "/adfs").json()["relyingPartyIdentifier"] == FILLED_RP
    assert call("GET", BASE + "/gsuite").json()["relyingPartyIdentifier"] == "urn:mine"
    assert call("POST", BASE, json=custom_body(idp)).json()["relyingPartyIdentifier"] == FILLED_RP
    call("PUT", BASE + "/purecloud", json={"name": "PureCloud", "disabled": False})
    assert "relyingPartyIdentifier" not in call("GET", BASE + "/purecloud").json()


# ---- dropped_fields ------------------------------------------------------------------------------
def test_dropped_fields_only_on_non_generic_types(api, idp):
    call, emu = api
    emu.variants(dropped_fields=["ssoBinding", "providerName", "forceAuthn"])
    extra = {"ssoBinding": "HTTP Post", "providerName": "My IdP", "forceAuthn": True, "sloBinding": "HTTP Post"}
    assert call("PUT", BASE + "/okta", json=body(idp, **extra)).status_code == 200  # silently
    okta = call("GET", BASE + "/okta").json()
    assert not {"ssoBinding", "providerName", "forceAuthn"} & set(okta) and okta["sloBinding"] == "HTTP Post"
    call("PUT", BASE + "/generic", json=body(idp, **extra))
    created = call("POST", BASE, json=custom_body(idp, **extra)).json()
    for got in (call("GET", BASE + "/generic").json(), created):
        assert (got["ssoBinding"], got["providerName"], got["forceAuthn"]) == ("HTTP Post", "My IdP", True)


# ---- strict_fields -------------------------------------------------------------------------------
def test_strict_fields_answer_invalid_property(api, idp):
    call, emu = api
    emu.variants(strict_fields=True)
    err = assert_error(call("PUT", BASE + "/okta", json=body(idp, bogusField=1)), 400, "invalid.property")
    assert "bogusField" in err["message"] and err["details"][0]["fieldName"] == "bogusField"
    assert call("GET", BASE + "/okta").status_code == 404  # nothing written
    assert_error(call("POST", BASE, json=custom_body(idp, autoProvisionUsers=True)), 400, "invalid.property")
    assert_error(call("PUT", BASE + "/purecloud", json={"name": "PureCloud", "issuerURI": "x"}), 400,
                 "invalid.property")
    ok = call("PUT", BASE + "/generic", json=body(idp, id="ignored", selfUri="ignored", endpointCompression=True))
    assert ok.status_code == 200  # every field of the type (read-only id/selfUri included) is known


# ---- refuse_last_provider_delete -----------------------------------------------------------------
def test_refuse_last_provider_delete(api, idp):
    call, emu = api
    emu.variants(refuse_last_provider_delete=True)
    call("PUT", BASE + "/okta", json=body(idp))
    call("PUT", BASE + "/generic", json=body(idp, name="Off", disabled=True))
    assert call("DELETE", BASE + "/okta").status_code == 200  # the Genesys Cloud login is on: allowed
    call("PUT", BASE + "/okta", json=body(idp))
    call("PUT", BASE + "/purecloud", json={"name": "PureCloud", "disabled": True})
    err = assert_error(call("DELETE", BASE + "/okta"), 400, "identity.provider.last.enabled")
    assert "Genesys Cloud login" in err["message"]
    assert call("GET", BASE + "/okta").status_code == 200  # still there
    assert call("DELETE", BASE + "/generic").status_code == 200  # a disabled provider may always go
    created = call("POST", BASE, json=custom_body(idp)).json()
    assert call("DELETE", BASE + "/okta").status_code == 200  # another enabled provider remains
    assert_error(call("DELETE", BASE + "/" + created["id"]), 400, "identity.provider.last.enabled")
    call("PUT", BASE + "/purecloud", json={"name": "PureCloud", "disabled": False})
    assert call("DELETE", BASE + "/" + created["id"]).status_code == 204


# ---- run-time control and validation ------------------------------------------------------------
def test_runtime_variants_validation_and_restore(fresh, http):
    url = "/_emulator/variants"
    before = http.request("GET", url).json()
    assert before == variants_mod.DEFAULTS
    bad = [({"nope": 1}, "unknown variant 'nope'"), ({"read_lag_s": -1}, "read_lag_s"),
           ({"listing_lag_s": True}, "listing_lag_s"), ({"listing_ids": "guid"}, "uuid | type"),
           ({"listing_self_uri": "uri"}, "type | id"), ({"page_size": 2.5}, "page_size"),
           ({"certificate_echo": "pem"}, "verbatim | bare_base64"), ({"fill_relying_party": "maybe"}, "true or false"),
           ({"dropped_fields": ["selfUri"]}, "unknown API field(s) selfUri"), ({"strict_fields": 3}, "strict_fields"),
           ({"page_size": 1, "refuse_last_provider_delete": None}, "refuse_last_provider_delete"), ([1], "mapping")]
    for change, text in bad:
        resp = http.request("POST", url, json=change)
        err = assert_error(resp, 400, "bad.request")
        assert text in err["message"], (change, err)
    assert_error(http.request("POST", url, params={"profile": "optimistic"}, json={}), 400, "bad.request")
    assert http.request("GET", url).json() == before  # a refused change changes nothing
    changed = http.request("POST", url, json={"read_lag_s": "0.5", "page_size": 3}).json()
    assert changed == dict(variants_mod.DEFAULTS, read_lag_s=0.5, page_size=3)  # the whole effective mapping
    pess = http.request("POST", url, params={"profile": "pessimistic"}, json={"read_lag_s": 1}).json()
    assert pess == dict(variants_mod.profile("pessimistic"), read_lag_s=1.0)
    assert http.request("DELETE", url).json() == variants_mod.DEFAULTS


def test_start_time_profile_file_cli_and_reset(tmp_path, idp):
    vfile = tmp_path / "platform.yml"
    vfile.write_text("listing_ids: type\npage_size: 3\nread_lag_s: 9\n", encoding="utf-8")
    args = ["--variant-file", str(vfile), "--variant", "read_lag_s=1", "--variant", "listing_lag_s=0",
            "--variant", "dropped_fields=ssoBinding,providerName"]
    with EmulatorProcess(seed=seed(), variant_profile="pessimistic", extra_args=args) as emu:
        expected = dict(variants_mod.profile("pessimistic"), listing_ids="type", page_size=3, read_lag_s=1.0,
                        listing_lag_s=0.0, dropped_fields=["ssoBinding", "providerName"])
        assert emu.variants() == expected and emu.endpoint["variants"] == expected
        emu.set_variants(page_size=7, strict_fields=False)
        emu.reset()
        assert emu.variants() == expected  # reset keeps the variants given at start, drops run-time ones
        http = Client(emu)
        token = http.token(ADMIN)
        resp = http.request("PUT", BASE + "/okta", token=token,
                            json=body(idp, certificate=idp.certificate_pem, ssoBinding="HTTP Post", extra=1))
        assert_error(resp, 400, "invalid.property")  # strict (pessimistic)
        resp = http.request("PUT", BASE + "/okta", token=token,
                            json=body(idp, certificate=idp.certificate_pem, ssoBinding="HTTP Post"))
        assert resp.status_code == 200 and resp.json()["id"] == "okta"
        assert http.request("GET", BASE + "/okta", token=token).status_code == 404  # read lag
        assert listing_names(http, token) == ["Okta"]  # no listing lag (overridden to 0)
        time.sleep(1.1)
        got = http.request("GET", BASE + "/okta", token=token).json()
        assert got["certificates"] == [idp.certificate_b64] and got["relyingPartyIdentifier"] == FILLED_RP
        assert "ssoBinding" not in got and got["selfUri"] == BASE + "/okta"  # id = type: selfUri by id = type
        http.session.close()
    # the same through the variants= constructor argument (written as state_dir/variants.json)
    with EmulatorProcess(seed=seed(), variants={"page_size": 1, "listing_ids": "type"}) as emu:
        assert emu.variants() == dict(variants_mod.DEFAULTS, page_size=1, listing_ids="type")


def listing_names(http, token):
    return [e["name"] for e in http.request("GET", BASE, token=token).json()["entities"]]


def test_bad_variants_refused_at_start(tmp_path, capsys):
    cases = [
        (["--variant", "nope=1"], "unknown variant 'nope'"),
        (["--variant", "read_lag_s"], "KEY=VALUE"),
        (["--variant", "page_size=-1"], "page_size"),
        (["--variant", "dropped_fields=[ssoBinding, fooBar]"], "fooBar"),
    ]
    listfile = tmp_path / "list.yml"
    listfile.write_text("- read_lag_s\n", encoding="utf-8")
    badkey = tmp_path / "bad.json"
    badkey.write_text('{"listing_ids": "type", "listingIds": "uuid"}', encoding="utf-8")
    cases += [(["--variant-file", str(listfile)], "flat mapping"),
              (["--variant-file", str(badkey)], "unknown variant 'listingIds'"),
              (["--variant-file", str(tmp_path / "missing.yml")], "cannot be read")]
    for args, text in cases:
        assert server.main(["--state-dir", str(tmp_path / "s")] + args) == 2
        err = capsys.readouterr().err
        assert "bad variant" in err and text in err, (args, err)
        assert not os.path.exists(tmp_path / "s" / "endpoint.json")
    with pytest.raises(SystemExit):
        server.main(["--state-dir", str(tmp_path / "s"), "--variant-profile", "optimistic"])
    state = tmp_path / "proc"
    with pytest.raises(EmulatorError, match="exited with 2"):
        EmulatorProcess(state_dir=str(state), extra_args=["--variant", "strict_fields=perhaps"]).start()
    assert "strict_fields must be true or false" in (state / "emulator.log").read_text(encoding="utf-8")


# ---- item 5: endpoint.json on SIGTERM/SIGINT, serial-0 certificate -------------------------------
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_endpoint_json_removed_on_signal(tmp_path, sig):
    emu = EmulatorProcess(state_dir=str(tmp_path), seed=seed(),
                          extra_args=["--state-file", str(tmp_path / "state.json")]).start()
    endpoint = tmp_path / "endpoint.json"
    try:
        assert endpoint.exists()
        os.kill(emu.pid, sig)
        emu.proc.wait(timeout=10)
        assert not endpoint.exists(), "endpoint.json left behind after %s" % sig.name
        assert (tmp_path / "state.json").exists()
    finally:
        emu.stop()


def test_serial_zero_certificate_accepted_without_warning(api):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a CryptographyDeprecationWarning fails the test
        cert = validation.check_certificate(SERIAL0_PEM, "certificate")
    assert cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc)
    der = validation.certificate_der(SERIAL0_PEM)
    assert validation.positive_serial_der(der) != der and len(validation.positive_serial_der(der)) == len(der)
    call, _ = api
    data = {"name": "Okta", "issuerURI": "https://tf.example/idp", "certificates": [SERIAL0_PEM]}
    assert call("PUT", BASE + "/okta", json=data).status_code == 200
    assert call("GET", BASE + "/okta").json()["certificates"] == [SERIAL0_PEM]


def test_emulator_log_has_no_deprecation_warning(api):
    """The serial-0 PUT above ran in the module's emulator: its log must not carry the warning."""
    call, emu = api
    call("PUT", BASE + "/okta", json={"name": "Okta", "issuerURI": "https://tf.example/idp",
                                      "certificate": SERIAL0_PEM})
    with open(os.path.join(emu.state_dir, "emulator.log"), encoding="utf-8", errors="replace") as handle:
        assert "CryptographyDeprecationWarning" not in handle.read()



def test_saml_sha1_variant_sets_the_acs_policy():
    """``--variant saml_sha1=refuse|accept`` (null: GENESYS_EMULATOR_SAML_SHA1 or accept) drives saml.sha1_policy()."""
    from genesys_emulator import saml
    from genesys_emulator.app import Emulator
    from genesys_emulator.store import Store

    try:
        emu = Emulator(Store(seed={"orgs": [{"name": "sha1-org"}]}), variants={"saml_sha1": "refuse"})
        assert emu.variants["saml_sha1"] == "refuse" and saml.sha1_policy() == "refuse"
        emu.variants = variants_mod.merge(emu.variants, {"saml_sha1": "accept"})
        assert saml.sha1_policy() == "accept"
        emu.reset()   # back to the start variants
        assert saml.sha1_policy() == "refuse"
        emu.variants = variants_mod.merge(emu.variants, {"saml_sha1": None})
        assert saml.sha1_policy() == (os.environ.get(saml.SHA1_ENV) or "accept")
        with pytest.raises(variants_mod.VariantError, match="saml_sha1 must be accept"):
            variants_mod.merge(variants_mod.DEFAULTS, {"saml_sha1": "maybe"})
    finally:
        saml.set_sha1_policy(None)


def test_a_probe_report_is_a_variant_file(tmp_path):
    """probe-report.json of playbooks/probe_platform.yml feeds back as it is: its "variants" mapping is loaded."""
    report = tmp_path / "probe-report.json"
    report.write_text('{"format": "genesyscloud.sso/platform_probe", "variants": {"read_lag_s": 2.0, '
                      '"certificate_echo": "bare_base64"}, "not_measured": {"dropped_fields": "per-type"}}')
    loaded = variants_mod.from_options(files=[str(report)])
    assert loaded["read_lag_s"] == 2.0 and loaded["certificate_echo"] == "bare_base64"
    assert loaded["listing_ids"] == variants_mod.DEFAULTS["listing_ids"]
