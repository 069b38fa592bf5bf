# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handoff to the IdP admin: what to enter at the identity provider for one org, as the provider ENDS.

Built from the registered step-4 result (genesys_identity_provider): ``end_state`` (the provider as Genesys Cloud
holds it after the run: after a verified rollback, the restored one), ``service_provider`` (the SP values computed by
the module from that state), ``organization`` / ``clients_before`` (the org short name), ``rolled_back``.

* ``handoff(configure, ...)``: a dict with the values (URL + binding, audience, NameID format, attributes with their
  NameFormat), the hints for the IdP family, the lines the summary prints and the lines of the per-org handoff file;
* ``sp_metadata_xml(h)``: SAML 2.0 SP metadata (EntityDescriptor/SPSSODescriptor) the IdP admin can import instead of
  typing, or '' when no audience is held by Genesys Cloud (an EntityDescriptor needs an entityID, and an invented one
  would not match the provider).

Never hands over an audience Genesys Cloud does not hold: with no ``relyingPartyIdentifier`` on the provider the
audience line says so and names the suggestion (``genesys.cloud.<org>``) to set on the provider first.
Sources of every value: docs/role.md, "Handoff to the IdP admin".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
ATTR_UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified'
NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
NAMEID_PREFIX = 'urn:oasis:names:tc:SAML:'
PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol'
MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata'
SUGGESTED_PREFIX = 'genesys.cloud.'

# sloBinding is stored verbatim by the API ("HTTP Redirect", "HTTP Post" or a URN, genesys-api.md 2.2)
_BINDING_WORDS = {'httpredirect': HTTP_REDIRECT, 'redirect': HTTP_REDIRECT, 'httppost': HTTP_POST, 'post': HTTP_POST}

FAMILIES = ('okta', 'entra', 'adfs', 'google', 'onelogin', 'ping', 'generic')
FAMILY_LABELS = dict(okta='Okta', entra='Microsoft Entra ID', adfs='Microsoft ADFS', google='Google Workspace',
                     onelogin='OneLogin', ping='Ping Identity', generic='a generic SAML 2.0 IdP')
_TYPE_FAMILY = dict(okta='okta', adfs='adfs', gsuite='google', onelogin='onelogin', ping='ping')
# A generic or custom provider: the family from its issuer (the IdP entity ID), else generic.
_ISSUER_FAMILY = (
    (re.compile(r'(^|[./])(okta|oktapreview|okta-emea)\.com([/:]|$)', re.I), 'okta'),
    (re.compile(r'(^|[./])(sts\.windows\.net|login\.microsoftonline\.(com|us)|microsoftonline\.com)([/:]|$)', re.I),
     'entra'),
    (re.compile(r'/adfs/', re.I), 'adfs'),
    (re.compile(r'(^|[./])accounts\.google\.com([/:]|$)', re.I), 'google'),
    (re.compile(r'(^|[./])onelogin\.com([/:]|$)', re.I), 'onelogin'),
    (re.compile(r'(^|[./])(pingone\.(com|eu|asia|ca)|pingidentity\.com)([/:]|$)', re.I), 'ping'),
)


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def binding_urn(value, default=None):
    """The binding URN of an API sloBinding/ssoBinding value ("HTTP Redirect", "HTTP-POST", a URN), else default."""
    if not value:
        return default
    text = str(value).strip()
    if text.startswith('urn:'):
        return text
    return _BINDING_WORDS.get(re.sub(r'[^a-z]', '', text.lower()), default)


def short_binding(urn):
    return (urn or '').rsplit(':', 1)[-1]


def idp_family(provider_type, issuer_uri=None):
    """okta, entra, adfs, google, onelogin, ping or generic, from the provider type, else from the issuer URI."""
    family = _TYPE_FAMILY.get(provider_type or '')
    if family:
        return family
    for pattern, name in _ISSUER_FAMILY:
        if issuer_uri and pattern.search(str(issuer_uri)):
            return name
    return 'generic'


def _client_org(check):
    """The org short name the preserved clients' probe of /api/v2/organizations/me answered, or ''."""
    for entry in _mapping(check).get('report') or []:
        org = _mapping(_mapping(entry).get('organization'))
        if org.get('short_name'):
            return org['short_name']
    return ''


def org_short_name(configure, clients=None, given=''):
    """The org short name from what the run already has: the step-4 organization, its service_provider values, the
    preserved clients' probe answers, or the saml_sso_org_name input (no request here)."""
    c = _mapping(configure)
    for candidate in (_mapping(c.get('organization')).get('short_name'),
                      _mapping(c.get('service_provider')).get('organization_short_name'),
                      _client_org(c.get('clients_before')), _client_org(clients), given):
        if candidate:
            return str(candidate)
    return ''


def _hints(family, org, name_id_format):
    """How to enter the two attributes and the NameID at an IdP of ``family`` (sources: docs/role.md)."""
    org_text = org or '<org short name>'
    nid = short_binding(name_id_format) if name_id_format else 'emailAddress'
    if family == 'okta':
        return [
            'Okta: SAML settings: Single sign-on URL and Recipient = the ACS URL; Audience URI (SP Entity ID) = the '
            'audience; Name ID format %s; Application username Email' % ('EmailAddress' if nid == 'emailAddress' else nid),
            'Okta: Attribute Statements: Name email, Name format Unspecified, Value user.email',
            'Okta: Attribute Statements: Name OrganizationName, Name format Unspecified, Value "%s" (an Okta '
            'Expression Language string literal, in double quotes)' % org_text,
        ]
    if family == 'entra':
        return [
            'Entra ID: Basic SAML Configuration: Identifier (Entity ID) = the audience; Reply URL (ACS) = the ACS URL; '
            'Logout Url = the single logout URL',
            'Entra ID: Attributes & Claims: Unique User Identifier (Name ID) = user.mail, format %s'
            % ('Email address' if nid == 'emailAddress' else nid),
            'Entra ID: Attributes & Claims: add claim Name email, Namespace empty (Entra\'s default claims carry the '
            'http://schemas.xmlsoap.org/ws/2005/05/identity/claims namespace, which Genesys Cloud does not read), '
            'Source Attribute user.mail',
            'Entra ID: Attributes & Claims: add claim Name OrganizationName, Namespace empty, Source Attribute, '
            'value "%s" (a constant, in double quotes)' % org_text,
        ]
    if family == 'adfs':
        return [
            'ADFS: Relying Party Trust: SAML 2.0 WebSSO URL = the ACS URL; Relying party trust identifier = the '
            'audience; Endpoints: SAML Logout = the single logout URL',
            'ADFS claim rule (Send LDAP Attributes as Claims, or custom): c:[Type == "http://schemas.microsoft.com/ws/'
            '2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"] => issue(store = "Active '
            'Directory", types = ("email"), query = ";mail;{0}", param = c.Value);',
            'ADFS claim rule (custom, NameID): c:[Type == "email"] => issue(Type = "http://schemas.xmlsoap.org/ws/2005/'
            '05/identity/claims/nameidentifier", Value = c.Value, Properties["http://schemas.xmlsoap.org/ws/2005/05/'
            'identity/claimproperties/format"] = "%s");' % (name_id_format or NAMEID_EMAIL),
            'ADFS claim rule (custom, constant): => issue(Type = "OrganizationName", Value = "%s");' % org_text,
        ]
    if family == 'google':
        return [
            'Google Workspace: custom SAML app, Service provider details: ACS URL = the ACS URL; Entity ID = the '
            'audience; Name ID format %s; Name ID Basic Information > Primary email'
            % (nid.upper() if nid in ('transient', 'persistent', 'unspecified') else
               ('EMAIL' if nid == 'emailAddress' else nid)),
            'Google Workspace: Attribute mapping: Basic Information > Primary email -> App attribute email',
            'Google Workspace: Attribute mapping: Google maps user attributes only: give the users a custom attribute '
            'holding %s and map it -> App attribute OrganizationName' % org_text,
        ]
    if family == 'onelogin':
        return [
            'OneLogin: SAML Custom Connector (Advanced), Configuration: Audience (EntityID) = the audience; ACS '
            '(Consumer) URL = the ACS URL (and its regular expression as the ACS URL Validator); Single Logout URL = '
            'the single logout URL; SAML nameID format %s; NameID value Email' % nid,
            'OneLogin: Parameters: email = Email (Include in SAML assertion)',
            'OneLogin: Parameters: OrganizationName = Macro %s (Include in SAML assertion)' % org_text,
        ]
    if family == 'ping':
        return [
            'Ping Identity: SAML application: ACS URLs = the ACS URL; Entity ID = the audience; SLO endpoint = the '
            'single logout URL; Signing Algorithm RSA_SHA256',
            'Ping Identity: Attribute mapping: saml_subject = Email Address; email = Email Address',
            'Ping Identity: Attribute mapping: OrganizationName = the static value %s' % org_text,
        ]
    return [
        'Any SAML 2.0 IdP (Shibboleth, Keycloak, simpleSAMLphp, ...): send the attributes with exactly these names and '
        'NameFormat %s; default attribute maps often send email under an OID name (urn:oid:1.2.840.113549.1.9.1.1 or '
        'urn:oid:0.9.2342.19200300.100.1.3) or with the uri NameFormat, which Genesys Cloud does not read as '
        'email' % ATTR_UNSPECIFIED,
        'Any SAML 2.0 IdP: OrganizationName is a constant: %s' % org_text,
    ]


# The steps of genesys_identity_provider from the write on (its failed_step): a failure there may have left the
# provider changed, so an earlier handoff file is no longer known to be right.
_AFTER_WRITE_STEPS = ('write', 'guard_after_write', 'verify', 'clients_after', 'final_verify')


def _wrote(c):
    return bool(c.get('rolled_back') or c.get('not_kept') or c.get('failed_step') in _AFTER_WRITE_STEPS
                or c.get('recovered'))


def _state_of(c, mode, failed, rolled_back):
    """(state, why): in_force, planned (check mode) or none, from the step-4 result."""
    if rolled_back:
        if _mapping(c.get('end_state')):
            return 'in_force', 'after the rollback: the restored provider, now in force'
        if 'end_state' in c or c.get('existed') is False:  # the rollback removed the provider the run created
            return 'none', 'the change was rolled back and no provider of this type is in force'
        return 'none', 'a change was rolled back and this result does not say which values are in force; run again'
    if failed and _wrote(c):
        return 'none', ('the run failed after writing the provider, before its final state was known; run again to '
                        'get the handoff')
    if failed:
        return 'none', 'the run failed before any change of the provider; an earlier handoff stays valid'
    if not _mapping(c.get('service_provider')):
        return 'none', 'no provider values (step 4 did not run, the Genesys Cloud login, or state=absent)'
    if mode == 'check' and c.get('changed'):
        return 'planned', 'check mode: the values after a real run (nothing was written, nothing to hand over yet)'
    return 'in_force', 'the provider as Genesys Cloud holds it now'


def handoff(configure, org='', mode='apply', failed=False, rolled_back=False, clients=None, given_org=''):
    """What the IdP admin enters for this org, from the step-4 result as the provider ends (see the module doc)."""
    c = _mapping(configure)
    rolled_back = bool(rolled_back or c.get('rolled_back'))
    state, why = _state_of(c, mode, failed, rolled_back)
    sp = _mapping(c.get('service_provider'))
    end = _mapping(c.get('end_state')) if state == 'in_force' else {}
    if state == 'planned':
        end = _mapping(c.get('provider'))
    short = org_short_name(c, clients, given_org)
    h = dict(org=org, state=state, why=why, organization_short_name=short or None, family='', family_label='',
             acs_url=None, acs_binding=HTTP_POST, slo_url=None, slo_binding=None, audience=None,
             audience_source='none', suggested_audience=(SUGGESTED_PREFIX + short) if short else None,
             name_id_format=None, name_id_source='', attributes=[], hints=[], sources_doc='docs/role.md#handoff-to-the-idp-admin',
             lines=[], file_lines=[])
    if state == 'none':
        h['lines'] = ['Nothing to enter at the IdP: %s.' % why]
        if rolled_back or _wrote(c):  # an earlier handoff file would be wrong now: it says so instead
            h['file_lines'] = ['org = %s' % org, 'state = none', 'why = %s' % why]
        return h

    family = idp_family(end.get('type') or c.get('provider_type') or '', end.get('issuer_uri'))
    audience = end.get('relying_party_identifier') or None
    if not end and sp.get('entity_id_source') == 'relying_party_identifier':
        audience = sp.get('entity_id')  # a result without end_state: what the module computed from the read-back
    name_id = sp.get('name_id_format') or end.get('name_identifier_format')
    h.update(family=family, family_label=FAMILY_LABELS[family], acs_url=sp.get('acs_url'),
             slo_url=sp.get('slo_url'), slo_binding=binding_urn(end.get('slo_binding'), HTTP_REDIRECT),
             audience=audience or None, audience_source='relying_party_identifier' if audience else 'none',
             name_id_format=name_id if name_id and str(name_id).startswith(NAMEID_PREFIX) else NAMEID_EMAIL,
             name_id_source='provider' if name_id else 'default')
    h['attributes'] = [
        dict(name='email', name_format=ATTR_UNSPECIFIED, required=True,
             value='the user\'s email address, exactly as the Genesys Cloud user\'s email'),
        dict(name='OrganizationName', name_format=ATTR_UNSPECIFIED, required=True, value=short or None),
    ]
    h['hints'] = _hints(family, short, h['name_id_format'])

    if h['audience']:
        audience = '%s (the relying party identifier Genesys Cloud holds)' % h['audience']
    else:
        audience = ('NONE held by Genesys Cloud (the provider has no relying_party_identifier): set '
                    'saml_sso_provider.relying_party_identifier (e.g. %s) and run again, then enter the same value at '
                    'the IdP' % (h['suggested_audience'] or SUGGESTED_PREFIX + '<org short name>'))
    lines = [
        'Enter at the IdP (%s): ACS / single sign-on URL %s (binding HTTP-POST); single logout URL %s (binding %s%s); '
        'audience / SP entity ID %s' % (why, h['acs_url'], h['slo_url'], short_binding(h['slo_binding']),
                                        '' if end.get('slo_binding') else ', the default', audience),
        'NameID: format %s%s, value = the user\'s email address as in Genesys Cloud; attributes (NameFormat %s): '
        'email = the user\'s email address, OrganizationName = %s'
        % (h['name_id_format'],
           '' if name_id else ' (the provider sets none; the Genesys Cloud articles ask for EmailAddress)',
           ATTR_UNSPECIFIED,
           ('%s (a constant, case-sensitive)' % short) if short else
           'UNKNOWN (the org short name could not be read: set saml_sso_org_name)'),
        'At %s: %s' % (h['family_label'], ' | '.join(hint.split(': ', 1)[1] for hint in h['hints'])),
    ]
    h['lines'] = lines
    h['file_lines'] = _file_lines(h)
    return h


def _file_lines(h):
    """The handoff file: one value per line (key = value), then the hints (the file is for the IdP admin)."""
    rows = [
        ('org', h['org']),
        ('state', h['state']),
        ('idp_family', h['family']),
        ('acs_url', h['acs_url']),
        ('acs_binding', h['acs_binding']),
        ('slo_url', h['slo_url']),
        ('slo_binding', h['slo_binding']),
        ('audience', h['audience'] or 'NONE (no relying_party_identifier is held; suggested: %s)'
         % (h['suggested_audience'] or '?')),
        ('name_id_format', h['name_id_format']),
        ('name_id_value', 'the user\'s email address as in Genesys Cloud'),
        ('attribute_name_format', ATTR_UNSPECIFIED),
        ('attribute.email', 'the user\'s email address'),
        ('attribute.OrganizationName', h['organization_short_name'] or 'UNKNOWN (set saml_sso_org_name)'),
        ('sp_metadata_xml', '<org>.sp-metadata.xml beside this file' if h['audience'] else
         'none: no audience is held by Genesys Cloud (a .sp-metadata.xml beside this file is stale)'),
    ]
    lines = ['%s = %s' % (key, '' if value is None else value) for key, value in rows]
    lines += ['hint = %s' % hint for hint in h['hints']]
    return lines


def handoff_file(h):
    """The text of the per-org handoff file: the values in force, or why there are none after a run that may have
    changed the provider; '' when the provider ends as it was without values to hand over (check mode with a change,
    a failure before any write, step 4 not run): an earlier handoff file then stays as it is."""
    h = _mapping(h)
    if h.get('state') not in ('in_force', 'none') or not h.get('file_lines'):
        return ''
    return '\n'.join(h['file_lines']) + '\n'


def sp_metadata_xml(h):
    """SAML 2.0 SP metadata of Genesys Cloud for this org ('' unless the values are in force and an audience is held).

    EntityDescriptor(entityID = the audience) / SPSSODescriptor: SingleLogoutService (the provider's SLO binding),
    NameIDFormat (URN), AssertionConsumerService (HTTP-POST, index 0, default), AttributeConsumingService with the
    RequestedAttributes email and OrganizationName (NameFormat unspecified, required). No KeyDescriptor: Genesys
    Cloud's signing certificate (for signed AuthnRequests) is downloaded from its Single Sign-on page.
    """
    h = _mapping(h)
    if h.get('state') != 'in_force' or not h.get('audience') or not h.get('acs_url'):
        return ''
    org = h.get('organization_short_name') or ''
    requested = ''.join(
        '      <md:RequestedAttribute Name=%s NameFormat=%s isRequired="true"/>\n'
        % (quoteattr(a['name']), quoteattr(a['name_format'])) for a in h.get('attributes') or [])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="%s" entityID=%s>\n'
        '  <md:SPSSODescriptor protocolSupportEnumeration="%s">\n'
        '    <md:SingleLogoutService Binding=%s Location=%s/>\n'
        '    <md:NameIDFormat>%s</md:NameIDFormat>\n'
        '    <md:AssertionConsumerService Binding=%s Location=%s index="0" isDefault="true"/>\n'
        '    <md:AttributeConsumingService index="0" isDefault="true">\n'
        '      <md:ServiceName xml:lang="en">%s</md:ServiceName>\n'
        '%s'
        '    </md:AttributeConsumingService>\n'
        '  </md:SPSSODescriptor>\n'
        '</md:EntityDescriptor>\n'
        % (MD_NS, quoteattr(h['audience']), PROTOCOL, quoteattr(h.get('slo_binding') or HTTP_REDIRECT),
           quoteattr(h.get('slo_url') or ''), escape(h.get('name_id_format') or NAMEID_EMAIL),
           quoteattr(HTTP_POST), quoteattr(h['acs_url']),
           escape('Genesys Cloud' + (' (%s)' % org if org else '')), requested))


def files(h):
    """[{suffix, content}] of the per-org handoff files to write (handoff text, SP metadata XML when there is one)."""
    out = []
    text = handoff_file(h)
    if text:
        out.append(dict(suffix='.handoff.txt', content=text))
    xml = sp_metadata_xml(h)
    if xml:
        out.append(dict(suffix='.sp-metadata.xml', content=xml))
    return out
