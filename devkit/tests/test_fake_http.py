"""The unit tests' one HTTP fake (tests/unit/plugins/module_utils/fake_http.py: ansible-test units cannot see devkit/)."""

import pytest

from genesys_devkit.collections import ensure_collections_link

ensure_collections_link(add_to_sys_path=True)

from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http import (  # noqa: E402
    FakeResponse, FakeSession)


def test_fake_response_bodies_headers_reason():
    r = FakeResponse(429, {'code': 'too.many.requests'}, {'Retry-After': '2'})
    assert r.status_code == 429 and r.headers['retry-after'] == '2' and r.json() == {'code': 'too.many.requests'}
    assert r.reason == 'reason-429' and FakeResponse(400, reason='r').reason == 'r'
    assert FakeResponse(502, text='<html/>').text == '<html/>' and FakeResponse(204).content == b''
    r.close()
    assert r.closed


def test_fake_session_answers_from_its_script_and_records():
    ok = FakeResponse(200, {'id': 'x'})
    session = FakeSession([ok, ConnectionError('reset')])
    assert session.request('GET', 'https://h/api', timeout=5, headers={'A': 'b'}) is ok
    with pytest.raises(ConnectionError):
        session.request('PUT', 'https://h/api')
    with pytest.raises(AssertionError):
        session.request('GET', 'https://h/more')   # past the script
    assert [(c['method'], c['timeout']) for c in session.calls] == [('GET', 5), ('PUT', None), ('GET', None)]
