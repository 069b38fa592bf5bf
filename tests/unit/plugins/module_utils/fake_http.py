# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one fake of the HTTP layer for the unit tests: ``FakeResponse`` (a ``requests.Response`` as the client reads
it) and ``FakeSession`` (answers from a script).

It lives here, not in ``devkit/``: ansible-test units run in a copy of the collection content, which the dev kit is
not part of. Import it as ``from ansible_collections.genesyscloud.sso.tests.unit.plugins.module_utils.fake_http
import FakeResponse, FakeSession``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import requests


class FakeResponse:
    """``status`` with a JSON ``body``, or a ``text`` body, or none; ``headers`` case-insensitive as in requests."""

    def __init__(self, status, body=None, headers=None, text=None, reason=None):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})
        if body is not None:
            self.content = json.dumps(body).encode('utf-8')
        elif text is not None:
            self.content = text.encode('utf-8')
        else:
            self.content = b''
        self.reason = 'reason-%d' % status if reason is None else reason
        self.closed = False

    def json(self):
        return json.loads(self.content.decode('utf-8'))

    @property
    def text(self):
        return self.content.decode('utf-8')

    def close(self):
        self.closed = True


class FakeSession:
    """Answers from a script: a list of answers, each a ``FakeResponse`` or an exception to raise; ``calls`` records
    every request (method, url, timeout and the other keyword arguments). A request past the script fails the test."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []
        self.headers = {}
        self.verify = None
        self.closed = False

    def request(self, method, url, timeout=None, **kwargs):
        self.calls.append(dict(method=method, url=url, timeout=timeout, **kwargs))
        if not self.script:
            raise AssertionError('unexpected request %s %s' % (method, url))
        answer = self.script.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self):
        self.closed = True
