# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layout of plugins/module_utils: private files that say so, every Genesys path in one place (the API facade;
the provider base of the domain; the token endpoint of the grant table), one HTTP stack."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import io
import os
import tokenize

import pytest

MODULE_UTILS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'module_utils')
FILES = sorted(f for f in os.listdir(MODULE_UTILS) if f.endswith('.py') and f != '__init__.py')

# where a request path may be written: the facade, the domain's provider base (it builds and validates the ids of
# the provider paths), the grant table's token endpoint
PATH_OWNERS = {
    '/api/v2/': {'_genesys_api.py': None, '_genesys_provider_model.py': 'API_BASE'},
    '/oauth/token': {'_genesys_grants.py': 'TOKEN_PATH'},
}


def _source(name):
    with open(os.path.join(MODULE_UTILS, name)) as handle:
        return handle.read()


def _string_constants(source):
    """(line, value) of every string literal that is code, not a docstring."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, 'body', [])
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def _assigned_name(source, lineno):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and node.lineno == lineno and len(node.targets) == 1:
            target = node.targets[0]
            return getattr(target, 'id', None)
    return None


@pytest.mark.parametrize('name', FILES)
def test_every_module_util_is_private_and_says_what_it_owns(name):
    assert name.startswith('_genesys_'), '%s: module_utils of this collection are private (_genesys_*.py)' % name
    doc = ast.get_docstring(ast.parse(_source(name))) or ''
    assert doc.startswith('Internal to genesyscloud.sso (not a public API): '), \
        '%s: the docstring must start by saying it is internal and what it owns' % name
    assert len(doc.split(': ', 1)[1]) > 20


@pytest.mark.parametrize('name', FILES)
def test_request_paths_are_written_once(name):
    """A path literal (a string starting with /api/v2/ or /oauth/token) outside its owner fails: add a facade method."""
    source = _source(name)
    for lineno, value in _string_constants(source):
        for prefix, owners in PATH_OWNERS.items():
            if not value.startswith(prefix):
                continue
            assert name in owners, '%s:%d: the path %r belongs in %s' % (name, lineno, value, ' or '.join(owners))
            constant = owners[name]
            if constant is not None:
                assert _assigned_name(source, lineno) == constant, '%s:%d: %r outside %s' % (name, lineno, value, constant)


@pytest.mark.parametrize('name', FILES)
def test_one_http_stack(name):
    """Only the transport talks HTTP: no second stack (open_url, urllib, http.client) in module_utils."""
    if name == '_genesys_transport.py':
        return
    tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(_source(name)).readline) if t.type == tokenize.NAME]
    for forbidden in ('open_url', 'urlopen', 'HTTPSConnection', 'HTTPConnection', 'Session'):
        assert forbidden not in tokens, '%s uses %s: requests go through _genesys_transport' % (name, forbidden)
