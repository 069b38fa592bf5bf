# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to genesyscloud.sso (not a public API): the OAuth grant table, the one owner of what each grant is.

One :class:`Grant` per grant the collection performs (``client_credentials``, ``password``, ``saml2_bearer``,
``token``): the form fields of its ``POST <login>/oauth/token`` request and the options they come from, the
options it requires, and the sentence the docs give it. Everything else is derived from :data:`GRANTS`:

* the credential options every module of the action group ``group/genesyscloud.sso.genesys`` accepts
  (:data:`CREDENTIAL_OPTIONS`, turned into the argument spec by ``_genesys_common.connection_argument_spec``),
  with their ``no_log`` flags and ``GENESYSCLOUD_*`` environment fallbacks;
* every module's ``required_if`` rules (:func:`required_if`);
* the client's grant choice (:func:`pick_grant`, :func:`missing_options`) and token form (:func:`token_form`).

Adding a grant is one entry here plus its text in the doc fragment ``plugins/doc_fragments/genesys.py``
(``tests/unit/plugins/module_utils/test_genesys_grants.py`` holds the fragment against this table).

No Ansible imports: used by the module, the action plugin and the tests alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SAML2_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'
TOKEN_PATH = '/oauth/token'   # every grant's request: POST <login_url>/oauth/token

# The credential options of the grants, as every module of the action group accepts them.
# ``env``: the environment variable the option falls back to (none for the grant-specific ones, as before).
CREDENTIAL_OPTIONS = (
    ('grant_type', dict(type='str', no_log=False, env=None)),
    ('client_id', dict(type='str', no_log=False, env='GENESYSCLOUD_OAUTHCLIENT_ID')),
    ('client_secret', dict(type='str', no_log=True, env='GENESYSCLOUD_OAUTHCLIENT_SECRET')),
    ('access_token', dict(type='str', no_log=True, env='GENESYSCLOUD_ACCESS_TOKEN')),
    ('username', dict(type='str', no_log=False, env=None)),
    ('password', dict(type='str', no_log=True, env=None)),
    ('assertion', dict(type='str', no_log=True, env=None)),
    ('org_name', dict(type='str', no_log=False, env=None)),
)
CREDENTIAL_OPTION_NAMES = tuple(name for name, dummy in CREDENTIAL_OPTIONS)
SECRET_OPTIONS = tuple(name for name, opt in CREDENTIAL_OPTIONS if opt['no_log'])


class Grant:
    """One OAuth grant.

    ``form_grant``: the ``grant_type`` value of the token form (None: the grant sends no form, it uses a given
    token); ``form``: ``(form field, option)`` pairs sent after it, in order; ``requires``: the options it needs
    (``required_if`` of every module, and the client's check before any request); ``renew``: the grant that gets
    a new token on a 401 (None: the grant itself); ``doc``: what the docs say of it. Every token request
    authenticates the OAuth client with HTTP Basic (``client_id:client_secret``), never in the form.
    """

    def __init__(self, name, form_grant, form, requires, doc, renew=None):
        self.name = name
        self.form_grant = form_grant
        self.form = tuple(form)
        self.requires = tuple(requires)
        self.doc = doc
        self.renew = renew

    def doc_line(self):
        """The line of the ``grant_type`` documentation (doc fragment) for this grant: what it needs, then ``doc``."""
        needs = ['O(%s)' % option for option in self.requires]
        needs = needs[0] if len(needs) == 1 else '%s and %s' % (', '.join(needs[:-1]), needs[-1])
        return 'V(%s) needs %s. %s' % (self.name, needs, self.doc)

    def env_fallbacks(self):
        """``{option: environment variable}`` of the required options that fall back to one."""
        return dict((name, opt['env']) for name, opt in CREDENTIAL_OPTIONS if name in self.requires and opt['env'])

    def __repr__(self):
        return 'Grant(%r)' % self.name


GRANTS = (
    Grant('client_credentials', 'client_credentials', (), ('client_id', 'client_secret'),
          "It is the grant for automation; the token's access comes from the roles of the OAuth client."),
    Grant('password', 'password', (('username', 'username'), ('password', 'password')),
          ('client_id', 'client_secret', 'username', 'password'),
          'The OAuth client must be of grant type Password. Genesys documents client credentials for automation; '
          'prefer it.'),
    Grant('saml2_bearer', SAML2_BEARER_GRANT, (('orgName', 'org_name'), ('assertion', 'assertion')),
          ('client_id', 'client_secret', 'assertion', 'org_name'),
          'O(assertion) is a base64 SAML 2.0 assertion of the org\'s identity provider, O(org_name) the org short '
          'name.'),
    Grant('token', None, (), ('access_token',),
          'The token is used as it is; when O(client_id)/O(client_secret) are given too and the platform answers '
          '401, a new token is minted once with client credentials.',
          renew='client_credentials'),
)
GRANTS_BY_NAME = dict((g.name, g) for g in GRANTS)
GRANT_TYPES = tuple(g.name for g in GRANTS)
DEFAULT_GRANT = 'client_credentials'


def grant(name):
    """The :class:`Grant` named ``name`` (KeyError for an unknown one)."""
    return GRANTS_BY_NAME[name]


def required_if():
    """The ``required_if`` rules of every module: each grant's required options."""
    return [('grant_type', g.name, g.requires) for g in GRANTS]


def filled(value):
    """An input that is more than blanks (a blank secret would also make no_log mask every space)."""
    return bool(value is not None and not isinstance(value, bool) and str(value).strip())


def pick_grant(params):
    """The grant a module performs: ``grant_type``, else ``token`` when an access token is given, else client
    credentials."""
    name = params.get('grant_type')
    if name is None:
        name = 'token' if filled(params.get('access_token')) else DEFAULT_GRANT
    return name


def missing_options(name, params):
    """The required options of grant ``name`` that ``params`` leaves unset or blank, in table order."""
    return [option for option in grant(name).requires if not filled(params.get(option))]


def token_form(name, params):
    """The form of the token request of grant ``name`` (a ``token`` grant renews with its ``renew`` grant)."""
    entry = grant(name)
    if entry.form_grant is None:
        entry = grant(entry.renew)
    form = dict(grant_type=entry.form_grant)
    for field, option in entry.form:
        form[field] = params[option]
    return form


def renew_grant(name):
    """The grant that gets a new token for a client of grant ``name`` after a 401."""
    return grant(name).renew or name
