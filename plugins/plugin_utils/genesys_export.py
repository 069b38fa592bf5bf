# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export of an org's single sign-on as the saml_sso role's input (the audit's ``saml_sso_export_dir``).

Controller-only code behind the filters ``sso_export_target``, ``sso_export`` and ``sso_export_inventory``
(``plugins/filter/sso_export.py``). Pure: it builds the text of the files, the role's tasks write them.

For one org the export is, relative to the export directory:

* ``host_vars/<host>.yml``: ``saml_sso_provider`` with every option ``genesys_identity_provider`` manages, mapped
  back from the provider's API fields as read (``_genesys_provider_model.OPTION_FIELDS``); the org's other role inputs as the
  audit saw them (connection, preserved clients, expectations) when they differ from the role's defaults; every
  secret (a ``no_log`` option of the role's ``main`` entry point or of its sub-options) as an environment
  lookup placeholder, never its value;
* ``certificates/<host>/<type>-<n>.pem``: the provider's certificates, referenced from the host_vars as
  ``{{ inventory_dir }}/certificates/<host>/<type>-<n>.pem`` (the module reads a path; ``inventory_dir`` makes
  it independent of the directory the playbook runs from);
* ``inventory.yml`` (one per run, :func:`inventory_text`): the exported hosts in the group ``genesys_orgs``.

``<host>`` is the inventory host name through ``genesys_summary.path_segment``. Ansible reads
``host_vars/<name>.yml`` only for a host of exactly that name, so a host whose name is not a safe file name
is exported under its safe name (the comment of its file gives the original). Every string that came from
the platform or the inventory and holds a ``{`` is written with the ``!unsafe`` tag, so Ansible never
evaluates a template the org holds (a provider name of ``{{ lookup('pipe', ...) }}``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from collections.abc import Mapping

import yaml

try:
    from ansible.parsing.vault import VaultHelper as _VAULT_HELPER
except ImportError:  # ansible-core < 2.19: vaulted values are AnsibleVaultEncryptedUnicode
    _VAULT_HELPER = None

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_provider_model import (
    ALL_TYPES,
    BOOL_FIELDS,
    CUSTOM_TYPE,
    OPTION_FIELDS,
    IdpError,
    api_certificates,
    build_desired,
    supports,
)
from ansible_collections.genesyscloud.sso.plugins.plugin_utils.genesys_summary import (
    path_segment,
    role_argument_specs,
)

# Role inputs that are never exported: set by the collection's playbooks, or this option itself.
NOT_EXPORTED = ('saml_sso_fail_late', 'saml_sso_provider', 'saml_sso_export_dir', 'saml_sso_hosts',
                'saml_sso_result')
ENV_PREFIX = 'GENESYSCLOUD_SSO_'
GROUP = 'genesys_orgs'
GROUP_WITHOUT_PROVIDER = 'genesys_orgs_without_provider'
PURECLOUD = 'purecloud'


class _Template(str):
    """A placeholder the export writes on purpose (``{{ lookup(...) }}``): never tagged ``!unsafe``."""


class _Vault(str):
    """The ciphertext of a value the inventory holds vault-encrypted: written back as the same ``!vault`` block."""


def vault_ciphertext(value):
    """The Ansible Vault ciphertext of ``value`` when the inventory holds it vault-encrypted, else None.

    ansible-core >= 2.19 tags a decrypted value with its ciphertext (``VaultHelper.get_ciphertext``); older cores
    keep an ``AnsibleVaultEncryptedUnicode`` with ``_ciphertext``. The value itself is never looked at.
    """
    if _VAULT_HELPER is not None:
        try:
            text = _VAULT_HELPER.get_ciphertext(value, with_tags=False)
        except Exception:  # pylint: disable=broad-except  # not a vaulted value
            text = None
        if text:
            return str(text)
    data = getattr(value, '_ciphertext', None) if type(value).__name__ == 'AnsibleVaultEncryptedUnicode' else None
    if data:
        return data.decode('ascii', 'replace') if isinstance(data, bytes) else str(data)
    return None


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper, data):
    if '{' in data:
        return dumper.represent_scalar(u'!unsafe', str(data), style="'")
    return dumper.represent_str(str(data))


def _represent_template(dumper, data):
    return dumper.represent_scalar(u'tag:yaml.org,2002:str', str(data), style='"')


def _represent_vault(dumper, data):
    return dumper.represent_scalar(u'!vault', str(data).strip() + '\n', style='|')


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Template, _represent_template)
_Dumper.add_representer(_Vault, _represent_vault)


def _plain(value):
    """``value`` as plain Python data (str subclasses such as Ansible's unsafe text become str).

    A vault-encrypted value of the inventory becomes its ciphertext (written back as ``!vault``), never its text.
    """
    if isinstance(value, (_Template, _Vault)):
        return value
    ciphertext = vault_ciphertext(value)
    if ciphertext:
        return _Vault(ciphertext)
    if isinstance(value, Mapping):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _dump(data):
    return yaml.dump(_plain(data), Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=False,
                     width=100000, explicit_start=False)


def _quote(text):
    """A name for a comment line: JSON-quoted, so no line break or control character reaches the file."""
    return json.dumps('' if text is None else str(text), ensure_ascii=True)


def env_key(text):
    """The part of an environment variable name made from ``text``: upper-case letters, digits and ``_``."""
    key = re.sub(r'[^A-Z0-9]+', '_', str(text or '').upper()).strip('_')
    return key or 'X'


_USERINFO = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@')


def _one_line(text):
    """A note for a comment line: no line break or other control character."""
    return re.sub(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]+', ' ', str(text))


def placeholder(env_name):
    return _Template("{{ lookup('ansible.builtin.env', '%s') }}" % env_name)


# ---------------------------------------------------------------- which provider

def export_target(providers):
    """The provider of an org the export describes, as ``{type, id, name}`` (``{}`` when none can be read).

    ``providers``: the overview of ``genesys_identity_provider_info`` (per-type ones first, then custom ones by
    name). The role manages one provider per org: the only SAML provider; with several, the first enabled one
    (overview order); with none, the Genesys Cloud login (``purecloud``).
    """
    views = [p for p in (providers or []) if isinstance(p, Mapping) and p.get('type') in ALL_TYPES]
    saml = [p for p in views if p.get('type') != PURECLOUD]
    pool = [p for p in saml if p.get('enabled', True)] or saml
    if pool:
        chosen = pool[0]
    else:
        chosen = next((p for p in views if p.get('type') == PURECLOUD), {'type': PURECLOUD})
    target = dict(type=chosen['type'])
    if chosen['type'] == CUSTOM_TYPE and chosen.get('id'):
        target['id'] = str(chosen['id'])
    if chosen.get('name'):
        target['name'] = str(chosen['name'])
    return target


def _label(view):
    return '%s %s%s' % (view.get('type'), _quote(view.get('name') or view.get('type')),
                        (' (id %s)' % _quote(view['id'])) if view.get('type') == CUSTOM_TYPE and view.get('id') else '')


# ---------------------------------------------------------------- provider -> options

def provider_options(ptype, api_fields, provider_id=None, cert_prefix=None):
    """``(saml_sso_provider, certificate files, notes)`` of a provider read with ``include_api_fields``.

    Every option of ``genesys_identity_provider`` that the type has and the API object holds (``None`` and empty
    strings are left out: the module then keeps them as they are). ``cert_prefix`` (``certificates/<host>/``):
    certificate files are ``[(relative path, PEM)]``, referenced from the option as
    ``{{ inventory_dir }}/<relative path>``.
    """
    api = dict(api_fields or {})
    options = dict(type=ptype)
    if ptype == CUSTOM_TYPE and provider_id:
        options['id'] = str(provider_id)
    files = []
    notes = []
    for option, field in OPTION_FIELDS:
        if not supports(ptype, option):
            continue
        if option == 'certificates':
            paths = []
            for index, (cert, text) in enumerate(api_certificates(api)):
                if cert is None:
                    notes.append('certificate %d of the provider cannot be parsed as X.509 and was not exported '
                                 '(configure_sso.yml would report a change of certificates)' % (index + 1))
                    continue
                rel = '%s%s-%d.pem' % (cert_prefix or 'certificates/', ptype, len(paths) + 1)
                files.append((rel, cert.pem))
                paths.append(_Template('{{ inventory_dir }}/' + rel))
            if paths:
                options['certificates'] = paths
            continue
        value = api.get(field)
        if option == 'enabled':
            options['enabled'] = not bool(value)
            continue
        if value is None:
            continue
        if field in BOOL_FIELDS:
            options[option] = bool(value)
        elif isinstance(value, str):
            if value.strip():
                options[option] = value
        else:
            options[option] = str(value)
    for option, value in list(options.items()):
        if isinstance(value, str) and _USERINFO.match(value):
            # a password in a URL is a secret too: never written; the module refuses such a URL anyway
            options[option] = _USERINFO.sub(lambda m: m.group(1) + '***@', value, count=1)
            notes.append('%s holds a user name or password (user:password@), written as ***: remove the credentials '
                         'from the provider in the org (configure_sso.yml refuses such a URL)' % option)
    try:
        build_desired(ptype, dict((k, v) for k, v in options.items() if k not in ('type', 'id', 'certificates')))
    except IdpError as err:
        notes.append('the org holds a value configure_sso.yml refuses, fix it before running it: %s' % err)
    return options, files, [_one_line(n) for n in notes]


# ---------------------------------------------------------------- role inputs

def _is_default(value, spec):
    if 'default' not in spec:
        return value in (None, '', [], {})
    default = spec.get('default')
    if value == default:
        return True
    if isinstance(value, (str, int, float, bool)) and isinstance(default, (str, int, float, bool)):
        return str(value).lower() == str(default).lower()
    return False


def _client_keys(clients):
    keys = []
    for index, client in enumerate(clients):
        name = client.get('name') if isinstance(client, Mapping) else None
        keys.append(env_key(name) if name else 'CLIENT%d' % (index + 1))
    if len(set(keys)) != len(keys):
        keys = ['CLIENT%d' % (index + 1) for index in range(len(clients))]
    return keys


def export_inputs(values, spec_path, org_key):
    """``(inputs, env)``: the role inputs of ``values`` worth exporting, secrets replaced by env placeholders.

    ``values``: {name: value} of the ``saml_sso_*`` variables the audit saw. Exported: the options of the ``main``
    entry point (connection, preserved clients, probe paths, expectations, backup directory...) but
    ``saml_sso_provider`` (read from the org instead), when they differ from the spec's default. A ``no_log`` option (``saml_sso_client_secret``,
    ``saml_sso_access_token``, ``saml_sso_password``, ``saml_sso_assertion``) and a ``no_log`` sub-option of a
    preserved client (``client_secret``) become ``{{ lookup('ansible.builtin.env', NAME) }}`` when set; an
    empty one is left out (the modules then read the ``GENESYSCLOUD_*`` variables). ``env``: [(NAME, what)].
    """
    specs = role_argument_specs(spec_path)
    main = (specs.get('main') or {}).get('options') or {}
    values = dict(values or {})
    inputs = {}
    env = []
    for name in main:
        if name in NOT_EXPORTED or name not in values:
            continue
        spec = main[name] or {}
        value = values[name]
        if spec.get('no_log'):
            if vault_ciphertext(value):
                inputs[name] = _Vault(vault_ciphertext(value))
                continue
            if value in (None, ''):
                continue
            env_name = '%s%s_%s' % (ENV_PREFIX, org_key, env_key(name[len('saml_sso_'):]))
            inputs[name] = placeholder(env_name)
            env.append((env_name, name))
            continue
        if _is_default(value, spec):
            continue
        suboptions = spec.get('options') or {}
        secret_keys = [k for k, s in suboptions.items() if (s or {}).get('no_log')]
        if spec.get('type') == 'list' and secret_keys and isinstance(value, (list, tuple)):
            exported = []
            keys = _client_keys(value)
            for index, item in enumerate(value):
                if not isinstance(item, Mapping):
                    continue
                item = dict(item)
                for key in secret_keys:
                    if vault_ciphertext(item.get(key)):
                        item[key] = _Vault(vault_ciphertext(item[key]))
                        continue
                    if item.get(key) in (None, ''):
                        continue
                    env_name = '%s%s_%s_%s' % (ENV_PREFIX, org_key, keys[index], env_key(key.replace('client_', '')))
                    item[key] = placeholder(env_name)
                    env.append((env_name, '%s[%d].%s (%s)' % (name, index, key, _quote(item.get('name')))))
                exported.append(item)
            value = exported
        inputs[name] = value
    return inputs, env


# ---------------------------------------------------------------- one org

def export_org(values, spec_path, org, provider=None, providers=None, organization=None):
    """The files of one org: ``{host, org, files: [{path, content}], env, provider: {type, name, id}, notes, adopted}``.

    ``values``: the ``saml_sso_*`` variables the audit saw; ``provider``: the entry of
    ``genesys_identity_provider_info`` (``include_api_fields=true``) for :func:`export_target`, or None when the
    target does not exist (an org with neither a SAML provider nor a ``purecloud`` entry: nothing to adopt, no
    ``saml_sso_provider`` is written and ``adopted`` is false); ``providers``: the
    audit's overview of every provider of the org; ``organization``: ``{short_name, id}`` when known.
    """
    host = path_segment(org)
    org_key = env_key(host)
    inputs, env = export_inputs(values, spec_path, org_key)
    notes = []
    files = []
    target = export_target(providers or ([provider] if provider else []))
    if provider:
        ptype = provider.get('type') or target['type']
        options, cert_files, cert_notes = provider_options(
            ptype, provider.get('api_fields') or {}, provider.get('id'), 'certificates/%s/' % host)
        notes += cert_notes
        for rel, pem in cert_files:
            files.append(dict(path=rel, content=pem))
        logo = options.get('logo_image_data')
        if logo is not None:
            options['logo_image_data'] = ''.join(logo.split())
        inputs['saml_sso_provider'] = options
        described = dict(type=ptype, name=options.get('name'), id=options.get('id'))
    else:
        # Nothing to adopt: no SAML provider and no purecloud entry (the Genesys Cloud login is on by default). Any
        # saml_sso_provider would create a provider, so the host goes to a group the playbooks do not run.
        described = dict(type=None, name=None, id=None)
        notes.append('the org has no identity provider (the Genesys Cloud login is on, the platform default), so '
                     'there is nothing to adopt: the host is in the group %s of inventory.yml, which '
                     'configure_sso.yml does not run; set saml_sso_provider here and move it to %s to configure '
                     'single sign-on' % (GROUP_WITHOUT_PROVIDER, GROUP))
    others = [p for p in (providers or []) if isinstance(p, Mapping) and not (
        p.get('type') == described['type'] and (described['type'] != CUSTOM_TYPE or p.get('id') == described['id']))]
    lines = [
        '---',
        '# The single sign-on of the Genesys Cloud org of inventory host %s, as the role genesyscloud.sso.saml_sso'
        % _quote(org),
        '# reads it (exported by playbooks/audit_sso.yml with saml_sso_export_dir).',
    ]
    if host != str(org):
        lines.append('# The host name is not a safe file name: the host is exported as %s (Ansible reads this file '
                     'only for a host of that name).' % _quote(host))
    org_info = organization or {}
    if org_info.get('short_name') or org_info.get('id'):
        lines.append('# Org short name %s, id %s.' % (_quote(org_info.get('short_name')), _quote(org_info.get('id'))))
    if provider:
        lines.append('# saml_sso_provider is the %s provider as read; configure_sso.yml --check on this inventory '
                     'reports no change.' % described['type'])
    for other in others:
        lines.append('# Not managed by this file (the role configures one provider per org): %s.' % _label(other))
    for note in notes:
        lines.append('# Note: %s.' % note)
    if _has_vault(inputs):
        lines.append('# Values your inventory holds vault-encrypted are written back as the same !vault ciphertext: '
                     'run with the same vault password (--ask-vault-pass or --vault-id).')
    if env:
        lines.append('# Secrets are not exported. Before running a playbook on this inventory, set:')
        for env_name, what in env:
            lines.append('#   %s  (%s)' % (env_name, what))
        lines.append('# or replace the lookup with an Ansible Vault value '
                     '(ansible-vault encrypt_string --name <variable> ...).')
    text = '\n'.join(lines) + '\n' + _dump(inputs)
    files.insert(0, dict(path='host_vars/%s.yml' % host, content=text))
    return dict(host=host, org=str(org), files=files, env=[e[0] for e in env], provider=described, notes=notes,
                adopted=bool(provider))


def _has_vault(value):
    if isinstance(value, Mapping):
        return any(_has_vault(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_vault(v) for v in value)
    return isinstance(value, _Vault) or bool(vault_ciphertext(value))


def _existing_hosts(text):
    """{host: group} of an ``inventory.yml`` an earlier export wrote (safe host names of its two groups only)."""
    try:
        data = yaml.safe_load(text or '') or {}
    except yaml.YAMLError:
        return {}
    found = {}
    if not isinstance(data, Mapping):
        return found
    for group in (GROUP, GROUP_WITHOUT_PROVIDER):
        hosts = (data.get(group) or {}).get('hosts') if isinstance(data.get(group), Mapping) else None
        for host in (hosts or {}) if isinstance(hosts, Mapping) else ():
            if isinstance(host, str) and path_segment(host) == host:
                found[host] = group
    return found


def inventory_text(exports, existing=''):
    """``inventory.yml`` of the export directory: every exported host (``export_org()['host']``) in ``genesys_orgs``.

    ``exports``: the results of :func:`export_org` (None entries, for hosts that exported nothing, are skipped).
    A host with nothing to adopt (``adopted`` false: no identity provider at all) is in ``genesys_orgs_without_provider``
    instead, which the collection's playbooks do not run. ``existing``: the text of the ``inventory.yml`` an earlier
    export wrote, whose hosts are kept (a run with ``--limit`` adds to the inventory instead of replacing it).
    """
    groups = _existing_hosts(existing)
    for entry in exports or []:
        if isinstance(entry, Mapping) and entry.get('host'):
            groups[str(entry['host'])] = GROUP if entry.get('adopted', True) else GROUP_WITHOUT_PROVIDER
    adopted = sorted(h for h, g in groups.items() if g == GROUP)
    without = sorted(h for h, g in groups.items() if g == GROUP_WITHOUT_PROVIDER)
    header = ('---\n# The orgs exported by playbooks/audit_sso.yml (saml_sso_export_dir); each one\'s inputs are in\n'
              '# host_vars/<host>.yml beside this file.\n'
              '#   ansible-playbook genesyscloud.sso.configure_sso -i inventory.yml --check --diff\n')
    data = {GROUP: {'hosts': dict((h, None) for h in adopted)}}
    if without:
        header += ('# %s: orgs without any identity provider (nothing to adopt); configure_sso.yml does not run them.\n'
                   % GROUP_WITHOUT_PROVIDER)
        data[GROUP_WITHOUT_PROVIDER] = {'hosts': dict((h, None) for h in without)}
    return header + _dump(data)
