"""In-process unit tests: seed parsing, seedgen, certificate decoding, permission matching, test IdP CLI."""

import base64
import json

import pytest

from genesys_emulator import app as emu_app
from genesys_emulator import store as emu_store
from genesys_emulator import validation
from genesys_emulator.routing import Route, RouteTable
from genesys_emulator.seedgen import main as seedgen_main
from genesys_emulator.seedgen import make_seed


def test_generate_block_and_stable_ids():
    orgs = emu_store.orgs_from_seed({"orgs": [{"name": "x"}], "generate": {"count": 3, "prefix": "t", "permissions": ["a:b:c"]}})
    assert sorted(orgs) == ["t-0001", "t-0002", "t-0003", "x"]
    client = orgs["t-0002"]["clients"]["t-0002-admin"]
    assert client["secret"] == "t-0002-secret" and client["permissions"] == ["a:b:c"]
    again = emu_store.orgs_from_seed({"orgs": [{"name": "x"}]})
    assert again["x"]["id"] == orgs["x"]["id"]  # uuid5 of the name: stable across restarts


@pytest.mark.parametrize("seed", [
    [], {"orgs": [{}]}, {"orgs": [{"name": "a"}, {"name": "a"}]},
    {"orgs": [{"name": "a", "clients": [{"secret": "x"}]}]},
    {"orgs": [{"name": "a", "clients": [{"id": "c", "state": "weird"}]}]},
    {"orgs": [{"name": "a", "users": [{"password": "x"}]}]},
    {"orgs": [{"name": "a", "providers": {"nosuchtype": {}}}]},
])
def test_bad_seeds(seed):
    with pytest.raises(emu_store.SeedError):
        emu_store.orgs_from_seed(seed)


def test_seedgen(tmp_path):
    seed = make_seed(3)
    assert [o["name"] for o in seed["orgs"]] == ["org-0001", "org-0002", "org-0003"]
    assert [c["id"] for c in seed["orgs"][0]["clients"]] == ["org-0001-admin", "org-0001-bot"]
    out = tmp_path / "s.json"
    assert seedgen_main(["--orgs", "2", "--out", str(out)]) == 0
    assert len(json.loads(out.read_text())["orgs"]) == 2
    out_yml = tmp_path / "s.yml"
    seedgen_main(["--orgs", "2", "--out", str(out_yml)])
    assert emu_store.load_seed_file(str(out_yml)) == json.loads(out.read_text())
    assert len(emu_store.orgs_from_seed(emu_store.load_seed_file(str(out_yml)))) == 2


def test_certificate_forms(idp):
    der = base64.b64decode(idp.certificate_b64)
    wrapped = "\n".join(idp.certificate_b64[i:i + 64] for i in range(0, len(idp.certificate_b64), 64))
    for text in (idp.certificate_pem, idp.certificate_b64, wrapped, "  " + idp.certificate_b64 + "\r\n"):
        assert validation.certificate_der(text) == der
        validation.check_certificate(text, "certificate")
    assert validation.certificate_pem(idp.certificate_b64) == idp.certificate_pem


@pytest.mark.parametrize("patterns,perm,ok", [
    (["*"], "sso:provider:add", True), (["sso:provider:*"], "sso:provider:view", True),
    (["sso:*"], "sso:provider:view", True), (["sso:provider:view"], "sso:provider:add", False),
    ([], "oauth:client:view", False), (["oauth:client:view"], "oauth:client:view", True),
])
def test_permission_matching(patterns, perm, ok):
    assert emu_app.permitted(patterns, perm) is ok


def test_store_rate_window():
    st = emu_store.Store({}, rate_limit=2)
    assert st.hit("k", 2)[:2] == (True, 1)
    assert st.hit("k", 2)[:2] == (True, 2)
    allowed, count, reset, limit = st.hit("k", 2)
    assert (allowed, count, limit) == (False, 3, 2) and 1 <= reset <= 60


def test_unexpected_failure_is_500_error_body_without_traceback(capsys):
    import asyncio

    emulator = emu_app.Emulator(emu_store.Store({"orgs": [{"name": "u", "clients": [{"id": "c", "secret": "s"}]}]}))

    async def broken(rc):  # pylint: disable=unused-argument
        raise KeyError("boom")
    emulator.routes = RouteTable([Route("POST", "/saml", broken)])   # a handler that fails unexpectedly
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "POST", "path": "/saml", "headers": [], "client": ("127.0.0.1", 1)}
    asyncio.run(emulator(scope, receive, send))
    assert sent[0]["status"] == 500
    body = json.loads(sent[1]["body"])
    assert body["code"] == "internal.server.error" and body["status"] == 500
    assert "boom" not in sent[1]["body"].decode() and "Traceback" not in sent[1]["body"].decode()
    assert "KeyError" in capsys.readouterr().err  # the traceback goes to the emulator's own log
    assert emulator.log[-1]["status"] == 500
