"""Rate limits with low configured limits (one emulator started with both options)."""

import pytest

from conftest import ADMIN, BOT, Client, assert_error, seed
from genesys_emulator.testing import EmulatorProcess


@pytest.fixture(scope="module")
def limited():
    with EmulatorProcess(seed=seed(), extra_args=["--token-rate-limit-per-minute", "3",
                                                  "--rate-limit-per-minute", "5"]) as emu:
        yield emu


def test_token_rate_limit_is_400_invalid_request(limited):
    http = Client(limited)
    for _ in range(3):
        assert http.token_response(ADMIN).status_code == 200
    resp = http.token_response(ADMIN)
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "invalid_request" and body["error_description"].startswith("rate limit exceeded;")
    assert body["description"] == body["error_description"]
    assert resp.headers["inin-ratelimit-count"] == "4" and resp.headers["inin-ratelimit-allowed"] == "3"
    # per client: another client still gets tokens, and the API does not count token requests
    token = http.token(BOT)
    assert http.request("GET", "/api/v2/organizations/me", token=token).status_code == 200


def test_per_token_rate_limit_429(limited):
    http = Client(limited)
    limited.reset()
    token = http.token(ADMIN)
    other = http.token(BOT)
    for i in range(5):
        resp = http.request("GET", "/api/v2/organizations/me", token=token)
        assert resp.status_code == 200 and resp.headers["inin-ratelimit-count"] == str(i + 1)
        assert resp.headers["inin-ratelimit-allowed"] == "5"
    resp = http.request("GET", "/api/v2/organizations/me", token=token)
    body = assert_error(resp, 429, "too.many.requests.retry.after")
    retry = int(resp.headers["Retry-After"])
    assert 1 <= retry <= 60 and "[%d] seconds" % retry in body["message"]
    assert body["limit"]["value"] == 5
    # the limit is per token
    assert http.request("GET", "/api/v2/organizations/me", token=other).status_code == 200
    # and can be changed at run time
    limited.config(rate_limit_per_minute=100)
    assert http.request("GET", "/api/v2/organizations/me", token=token).status_code == 200
    limited.config(rate_limit_per_minute=5)
