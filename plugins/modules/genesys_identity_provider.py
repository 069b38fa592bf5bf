#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) genesyscloud.sso contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: genesys_identity_provider
short_description: Manage a SAML single sign-on identity provider of a Genesys Cloud org
version_added: 1.0.0
description:
  - Creates, updates, disables or deletes one single sign-on identity provider of a Genesys Cloud org,
    idempotently, for both API families.
  - B(Per-type providers) (O(type) V(adfs), V(cic), V(generic), V(gsuite), V(identitynow), V(okta),
    V(onelogin), V(ping), V(purecloud), V(pureengage), V(salesforce)) are singletons (one of each type per
    org), written with C(PUT /api/v2/identityproviders/{type}) and removed with C(DELETE) on the same path.
    V(purecloud) is the Genesys Cloud login itself (only O(name) and O(enabled)).
  - B(Custom providers) (O(type=custom)) use the multi-provider API (C(POST /api/v2/identityproviders),
    then C(PUT)/C(DELETE) C(/api/v2/identityproviders/{id})); a custom provider is found by its unique
    O(name) (or by O(id) when given), so a re-run never creates a duplicate. An org holds at most 30 single
    sign-on integrations.
  - Only the options you set are compared, after normalising both sides (enum spellings, booleans,
    server-filled fields ignored). Certificates compare as an order-free set of SHA-256 fingerprints of the
    DER, whatever the armour, line endings or whitespace, and whether the API holds them in C(certificate)
    or C(certificates). A second run with the same input reports C(changed=false).
  - A write sends the whole object (the current one merged with your options), so fields you do not set are
    kept, never wiped. O(settle_delay) after a write the provider is read back once, waiting out the
    platform's eventual consistency (a 404 or the previous state right after a write means "not there yet");
    that one read verifies the write and shows a concurrent change; a read never re-creates anything.
  - Certificates are parsed locally before any request is sent; expired or not-yet-valid ones fail the task
    unless O(allow_expired_certificates=true); certificates expiring within O(certificate_expiry_warn_days)
    give a warning naming the subject and the date.
  - B(Lockout guard.) A change that would leave the org with no enabled way to sign in (disabling or deleting
    the last enabled provider while the Genesys Cloud login, O(type=purecloud), is disabled, or disabling that
    login while no SAML provider is enabled) fails unless O(force=true).
  - Check mode only reads, and reports the same C(changed) and C(diff) as the real run. The diff shows the
    sanitised provider before and after, with certificates as fingerprint, subject and expiry (never the
    base64 blobs) and the logo as size and SHA-256.
  - Requests of a converged run, after the token, are one C(GET) of the provider (a custom provider found by
    name costs one more, the listing). The listing is also read when a change disables or deletes an enabled
    provider (lockout guard), creates a custom provider (integration limit), or when a per-type C(GET) answers
    404 (to tell "absent" from "not readable yet" - a provider the listing shows is re-read, never re-created);
    C(GET /api/v2/organizations/me) only when the org short name is needed and O(org_short_name) is not set
    (see O(org_short_name)).
  - Required permissions of the OAuth client, per Genesys Cloud, are C(sso:provider:view) and, for changes,
    C(sso:provider:add), C(sso:provider:edit) and C(sso:provider:delete).
author:
  - genesyscloud.sso contributors (@genesyscloud)
extends_documentation_fragment:
  - genesyscloud.sso.genesys
  - genesyscloud.sso.genesys.actiongroup_genesys
attributes:
  check_mode:
    description: Reads only; reports the same C(changed) and C(diff) as the real run (no backup file is written).
    support: full
  diff_mode:
    description: Returns C(before) and C(after) of the sanitised provider.
    support: full
requirements:
  - requests
  - cryptography
  - defusedxml (for O(idp_metadata) and O(idp_metadata_url))
options:
  type:
    description:
      - The provider type. The per-type singletons are V(adfs) (ADFS), V(cic) (Customer Interaction Center),
        V(generic) (generic SAML), V(gsuite) (Google Workspace), V(identitynow) (SailPoint IdentityNow),
        V(okta), V(onelogin), V(ping) (PingIdentity), V(purecloud) (the Genesys Cloud login),
        V(pureengage) and V(salesforce); V(custom) is a provider of the multi-provider API.
      - Required unless O(restore_from) is given (the backup names the type).
    type: str
    choices: [adfs, cic, generic, gsuite, identitynow, okta, onelogin, ping, purecloud, pureengage, salesforce, custom]
  state:
    description:
      - V(present) creates or updates the provider; V(absent) deletes it.
      - Ignored with O(restore_from) (the backup says whether the provider existed).
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - Id of a custom provider (O(type=custom) only). When given, the provider is addressed by id and O(name)
        becomes an ordinary field (so it can be renamed); with O(state=present) the id must exist.
      - Without it, the custom provider is found by O(name) (exact match first, then case-insensitive).
    type: str
  name:
    description:
      - Name of the provider. For O(type=custom) it identifies the provider (unique in the org) unless O(id)
        is given, and is required to create one; V(generic) requires it too.
    type: str
  enabled:
    description:
      - Whether the provider can be used to sign in (the API's C(disabled), inverted).
      - For O(type=purecloud), whether the Genesys Cloud username/password login is enabled.
    type: bool
  issuer_uri:
    description:
      - The IdP's entity ID / issuer (C(issuerURI)). Required to create any SAML provider.
    type: str
  sso_target_uri:
    description:
      - The IdP's SAML sign-in URL (C(ssoTargetURI)); must be an C(https://) URL without spaces, line breaks or
        control characters (checked before IdP metadata is fetched or any request is sent).
    type: str
  slo_uri:
    description:
      - The IdP's single logout URL (C(sloURI)).
    type: str
  slo_binding:
    description:
      - Binding of the single logout URL (C(sloBinding)). The API has no fixed spelling for it (both
        C(HTTP Redirect) and the SAML URNs are in use), so it is stored and compared verbatim.
    type: str
  relying_party_identifier:
    description:
      - The identifier Genesys Cloud presents to the IdP (C(relyingPartyIdentifier)); enter the same value as
        the SP entity ID / audience in the IdP.
    type: str
  certificates:
    description:
      - The IdP's signing certificates. Each item is PEM (one certificate or a bundle), base64 DER with or
        without PEM armour, or the path of a PEM or DER file on the controller. A relative file name ending in
        C(.pem), C(.crt), C(.cer), C(.der) or C(.cert) is looked up like the C(src) of M(ansible.builtin.copy) -
        in the role's or play's C(files/) directory, then next to the playbook - and otherwise taken relative to
        the working directory (with C(genesyscloud_sso_execution=module), always the latter).
      - Compared as a set of SHA-256 fingerprints; order, armour and whitespace do not matter.
      - Give several to rotate without downtime (the old and the new one overlap); at most 5 (the main one
        plus four more). Sent as Terraform does - one certificate in both C(certificate) and
        C(certificates), several in C(certificates) only (C(certificate) cleared).
    type: list
    elements: str
  name_identifier_format:
    description:
      - SAML NameID format (C(nameIdentifierFormat)). Short forms V(unspecified), V(emailAddress),
        V(X509SubjectName), V(WindowsDomainQualifiedName), V(kerberos), V(entity), V(persistent),
        V(transient) (any case) are mapped to the URNs the API takes; the URNs are accepted as they are.
    type: str
  sso_binding:
    description:
      - Binding of the sign-in request (C(ssoBinding)); V(HTTP-POST) or V(HTTP-Redirect) (also V(post),
        V(redirect) or the URNs), stored as the URN.
      - With O(idp_metadata), also chooses which of the IdP's sign-in endpoints is used.
    type: str
  sign_authn_requests:
    description:
      - Sign the SAML AuthnRequest (C(signAuthnRequests)).
    type: bool
  endpoint_compression:
    description:
      - Compress the SAML request (C(endpointCompression)); V(generic) and V(custom) only.
    type: bool
  logo_image_data:
    description:
      - Base64 of an SVG logo for the login page (C(logoImageData)), at most 25 kb. Shown in results as its size
        and SHA-256 only.
    type: str
  provider_name:
    description:
      - Display name of the provider on the login page (C(providerName)).
    type: str
  display_on_login:
    description:
      - Show the provider on the Genesys Cloud login page (C(displayOnLogin)).
    type: bool
  metadata_url:
    description:
      - The IdP metadata URL stored on the provider (C(metadataURL)). This only sets the field; to import
        values from metadata use O(idp_metadata_url).
    type: str
  force_authn:
    description:
      - Ask the IdP to re-authenticate the user (SAML C(ForceAuthn), C(forceAuthn)).
    type: bool
  auto_provision_users:
    description:
      - Create users on first sign-in (C(autoProvisionUsers)); V(pureengage) only.
    type: bool
  allow_expired_certificates:
    description:
      - Accept expired or not-yet-valid certificates (a warning instead of a failure). Genesys Cloud itself may
        still refuse them (C(certificate.expired), C(certificate.not.yet.valid)).
    type: bool
    default: false
  certificate_expiry_warn_days:
    description:
      - Warn about every given certificate that expires within this many days.
    type: int
    default: 30
  idp_metadata:
    description:
      - SAML 2.0 metadata XML of the IdP (the text). Fills O(issuer_uri), O(sso_target_uri) (per
        O(sso_binding), else the first endpoint the IdP offers), O(sso_binding), O(slo_uri), O(slo_binding),
        O(certificates) (signing keys only) and O(name_identifier_format); options you set explicitly win.
      - Parsed with defusedxml (no entity expansion, no external fetches).
    type: str
  idp_metadata_url:
    description:
      - URL to fetch the IdP metadata from (over verified TLS, using O(validate_certs), O(ca_path) and
        O(timeout)); then as O(idp_metadata).
    type: str
  idp_entity_id:
    description:
      - Entity ID of the IdP to use when the metadata is an C(EntitiesDescriptor) holding several IdPs.
    type: str
  backup:
    description:
      - Before any change, write the provider's previous state (the API JSON; null when it did not exist) to
        a new JSON file under O(backup_dir) and return its path as RV(backup_file).
      - The file name holds the org short name (or id), the type (and name of a custom provider) and a UTC
        timestamp; the file is created with mode 0600, the directory with 0700. No secrets are in it (a
        provider holds none; certificates are public).
      - Not written in check mode, nor when nothing changes.
      - With O(backup), the change is also B(journaled) - a C(*.journal) JSON file beside the backup (mode 0600)
        records the intent, the backup and each step (C(intent), C(written) or C(unknown), C(verified),
        C(complete); or C(rolling-back), C(rolled-back)). A run interrupted half way (killed, time-out, lost
        connection) leaves it unfinished; the next run of this module with the same O(backup_dir) on the same org
        first finishes it (re-reads, re-validates O(preserved_clients)) or undoes it (restores the backup,
        verified), says so in a warning and RV(recovered), and only then does its own work. A journal that
        needs an operator (C(rollback-failed)) names the backup to restore from.
    type: bool
    default: false
  backup_dir:
    description:
      - Directory for O(backup) files (on the controller; on the managed host with
        C(genesyscloud_sso_execution=module)). Created when missing.
    type: path
    default: ~/.ansible/genesyscloud_sso_backups
  restore_from:
    description:
      - Path of a file written by O(backup). Puts the provider back exactly as it was saved (every field,
        certificates as saved); when the backup says the provider did not exist, deletes it.
      - A custom provider is found by the saved id, else by the saved name, else re-created (with a new id).
      - Cannot be combined with the provider options, the metadata options or O(id); O(state) is ignored.
        The lockout guard, O(force), O(backup) and check mode apply as usual.
      - The backup is applied only to the org it was made of (its organization id, or short name, and API host
        must match the target; see O(restore_across_orgs)); its provider id must be a platform id.
    type: path
  force:
    description:
      - Skip the lockout guard. Use only when you have another way in (e.g. a tested SAML provider being
        replaced in the same play).
    type: bool
    default: false
  consistency_timeout:
    description:
      - Seconds to keep re-reading the provider after a write while Genesys Cloud still answers 404 or the
        previous state (eventual consistency). When it is still not visible, the task goes on with a warning
        (O(preserved_clients) are validated all the same), returns RV(verified=false) and the values sent; with
        O(backup) the journal stays open and the next run verifies it.
      - Also bounds the wait for a write whose outcome is unknown (a time-out after sending) - such a write is never
        repeated blindly and never rolled back before a read shows what it did.
      - The default follows the evidence (docs/genesys-api.md section 6) - the Terraform provider slept up to 360 s
        after each write of an identity provider and now retries reads for up to 8 minutes. After 30 s of waiting a
        warning names the org and what it waits for. Past the budget the task fails (after validating the preserved
        clients), saying what was written and how to check it; with O(backup) the journal stays open and the next
        run verifies it.
      - A value the platform does not keep at all on a type (the read-back holds no value for it) is reported once
        (RV(dropped), a warning - remove it from the task) and, with O(backup), remembered in the journal and not
        compared again on that org, so re-runs do not report C(changed) for it.
    type: float
    default: 480
  org_short_name:
    description:
      - The org short name (C(thirdPartyOrgName)), for the C(OrganizationName) attribute of
        RV(service_provider) and the backup file name.
      - When not set, it is read with C(GET /api/v2/organizations/me), but only when needed - for a backup file,
        or when the run changes the provider (that is when the IdP admin needs the values). A run that
        changes nothing then returns C(null) for it, saving one request per org.
      - The same fact as O(org_name) of the V(saml2_bearer) grant - when only O(org_name) is set, it serves as the
        org short name too (no lookup); when both are set they must be equal, else the task fails before any
        request.
      - Nor is it looked up when the admin client itself is one of O(preserved_clients) - its own check already
        answered the org (the same client id; the org of any other client is never taken for this org's lock,
        journal or backup, since it may belong to another org).
    type: str
  list_providers:
    description:
      - Also read the listing of every identity provider of the org (both API families) before anything else
        and return it as RV(providers), the overview that M(genesyscloud.sso.genesys_identity_provider_info)
        would give.
      - Costs one C(GET) per run; the same listing then serves the 404 check, the lockout guard and the
        integration limit, so it is never read twice. The C(genesyscloud.sso.saml_sso) role uses it instead of
        a separate C(_info) task.
    type: bool
    default: false
  preserved_clients:
    description:
      - OAuth client-credentials clients (bots, integrations) that must keep working. They are validated (token,
        C(GET /api/v2/tokens/me), each of O(probe_paths)) before anything changes (unless
        O(validate_clients_before=false); a failing client means no change), and again after every write,
        whatever the read-back showed. When one fails after the write, the change is rolled back (see
        O(rollback_on_failure)) and the task fails naming the client and the check.
      - Also validated when the task finishes an interrupted change (see O(backup)).
      - Before a write, every client validated before must belong to the org the task changes (its C(tokens/me)
        organization id, else the short name its probe of C(/api/v2/organizations/me) answered, against this org's,
        read for the lock or given as O(org_short_name)); a client of another org fails the task before any write
        (RV(failed_step) is C(clients_org)), since its proof would say nothing about this org. Check mode with a
        change predicts it from the admin token's C(tokens/me), which the permission prediction reads anyway. No
        request of its own; a run that changes nothing does not compare.
      - Same shape as O(genesyscloud.sso.genesys_oauth_check#module:clients). The results are RV(clients_before)
        and RV(clients_after).
    type: list
    elements: dict
    suboptions:
      client_id:
        description: OAuth client id.
        type: str
        required: true
      client_secret:
        description: OAuth client secret. Never logged or returned.
        type: str
        required: true
      name:
        description: A label for the report and messages (default the client id).
        type: str
      probe_paths:
        description: API paths to GET with this client's token, instead of the top-level O(probe_paths).
        type: list
        elements: str
      expect:
        description:
          - Expectations for this client; each key set here replaces the same key of the top-level
            O(client_expectations). Same suboptions as O(client_expectations).
        type: dict
        suboptions:
          organization_id:
            description: Expected organization id.
            type: str
          organization_name:
            description: Expected org short name (C(thirdPartyOrgName)).
            type: str
          client_name:
            description: Expected OAuth client name.
            type: str
          grant_type:
            description: Expected grant type, for example V(CLIENT-CREDENTIALS) (compared case-insensitively).
            type: str
          state:
            description: Expected client state, for example V(active) (compared case-insensitively).
            type: str
          role_ids:
            description: Role ids that must all be among the client's roles.
            type: list
            elements: str
          min_token_lifetime:
            description: Minimum token lifetime in seconds.
            type: int
  probe_paths:
    description:
      - API paths (starting with C(/api/v2/)) each preserved client GETs with its own token; each must answer 2xx.
        Checked like O(genesyscloud.sso.genesys_oauth_check#module:probe_paths) before any request.
    type: list
    elements: str
    default: ['/api/v2/organizations/me']
  client_expectations:
    description:
      - Expectations checked for every preserved client (a client's own O(preserved_clients[].expect) overrides
        keys), as O(genesyscloud.sso.genesys_oauth_check#module:expect).
    type: dict
    suboptions:
      organization_id:
        description: Expected organization id.
        type: str
      organization_name:
        description:
          - Expected org short name (C(thirdPartyOrgName)); read from C(GET /api/v2/organizations/me).
        type: str
      client_name:
        description: Expected OAuth client name.
        type: str
      grant_type:
        description: Expected grant type, for example V(CLIENT-CREDENTIALS) (compared case-insensitively).
        type: str
      state:
        description: Expected client state, for example V(active) (compared case-insensitively).
        type: str
      role_ids:
        description: Role ids that must all be among the client's roles.
        type: list
        elements: str
      min_token_lifetime:
        description: Minimum token lifetime in seconds.
        type: int
  validate_clients_before:
    description:
      - Validate O(preserved_clients) before anything changes (also in check mode). When one fails, nothing is
        changed and the task fails.
    type: bool
    default: true
  rollback_on_failure:
    description:
      - When a preserved client fails after a write, put the previous state back (the provider as it was, or
        delete the one this task created), then re-read it after O(settle_delay) and verify it (RV(rollback)).
    type: bool
    default: true
  lock:
    description:
      - Take the per-org advisory lock (a C(flock) on a file under O(lock_dir)) from the read that decides a
        change to the end of its verification, so runs on one controller that change the same org wait for each
        other. The provider is read again under the lock before the write. The kernel releases the lock when the
        process dies, so an interrupted run never leaves a stale lock.
      - Runs on different controllers are not serialised. After a write that disables or deletes an enabled
        provider, the lockout guard is checked again from a fresh listing (and the change rolled back at once
        when the org has no enabled sign-in left), and the read-back after O(settle_delay) reports a concurrent
        change.
    type: bool
    default: true
  lock_dir:
    description:
      - Directory of the lock files (on the controller; created with mode 0700; an existing directory that
        others can write to is refused).
    type: path
    default: ~/.ansible/genesyscloud_sso_locks
  lock_timeout:
    description:
      - Seconds to wait for the lock of an org that another run holds; then the task fails naming the holder,
        having changed nothing.
    type: float
    default: 120
  settle_delay:
    description:
      - Seconds after a write before its one read-back, which both verifies the write and is the concurrent-change
        check; a value that is neither what the task wrote nor what was there before is reported as a concurrent
        change instead of RV(verified). The preserved clients are validated again after that read. Also the wait
        before a rollback is verified.
      - A change another run or person makes within these seconds after the write is reported; one made later is
        not seen by this run. Raise it where several controllers may change one org.
    type: float
    default: 1
  restore_across_orgs:
    description:
      - With O(restore_from), apply a backup made of another org or against another API host. By default such a
        backup is refused before any write (it would make this org trust another org's IdP).
    type: bool
    default: false
notes:
  - The SAML ACS URL is per region, not per org, and the org is identified by the C(OrganizationName)
    attribute, so RV(service_provider) is what the IdP admin must enter.
  - RV(service_provider) holds the values of the provider as Genesys Cloud holds it when the task ends (after a
    verified rollback, the restored one). If the provider holds no relying party identifier,
    RV(service_provider.entity_id) is null and RV(service_provider.suggested_entity_id) suggests
    C(genesys.cloud.<org short name>) (Genesys documents any unique string); set it as O(relying_party_identifier)
    first, then enter the same value at the IdP.
seealso:
  - module: genesyscloud.sso.genesys_identity_provider_info
'''

EXAMPLES = r'''
- name: Okta as the org's SAML provider (per-type singleton)
  genesyscloud.sso.genesys_identity_provider:
    region: eu-west-1
    client_id: "{{ genesys_client_id }}"
    client_secret: "{{ genesys_client_secret }}"
    type: okta
    name: Okta
    enabled: true
    issuer_uri: http://www.okta.com/exk1abcd
    sso_target_uri: https://acme.okta.com/app/genesys/exk1abcd/sso/saml
    relying_party_identifier: genesys.cloud.acme-prod
    certificates:
      - okta-signing.pem   # from the role's or playbook's files/ directory
    name_identifier_format: emailAddress
    sso_binding: HTTP-POST
    sign_authn_requests: false
    org_short_name: acme-prod
  register: okta

- name: Show what the IdP admin must enter
  ansible.builtin.debug:
    var: okta.service_provider

- name: Configure Okta and get the overview of every provider of the org in the same task
  genesyscloud.sso.genesys_identity_provider:
    type: okta
    issuer_uri: http://www.okta.com/exk1abcd
    sso_target_uri: https://acme.okta.com/app/genesys/exk1abcd/sso/saml
    certificates:
      - okta-signing.pem
    list_providers: true
  register: okta

- name: List what the org had before the task
  ansible.builtin.debug:
    msg: "{{ okta.providers | map(attribute='type') | list }}"

- name: Rotate the certificate - step 1, old and new overlap
  genesyscloud.sso.genesys_identity_provider:
    type: okta
    certificates:
      - "{{ lookup('ansible.builtin.file', 'files/okta-old.pem') }}"
      - "{{ lookup('ansible.builtin.file', 'files/okta-new.pem') }}"
    certificate_expiry_warn_days: 60

- name: Rotate the certificate - step 2, only the new one (back up first)
  genesyscloud.sso.genesys_identity_provider:
    type: okta
    certificates:
      - MIIDpDCCAoygAwIBAgIGAXoX...   # bare base64 DER works too
    backup: true
    backup_dir: /var/backups/genesys-sso
  register: rotated

- name: Put the provider back from that backup
  genesyscloud.sso.genesys_identity_provider:
    restore_from: "{{ rotated.backup_file }}"

- name: Import everything from the IdP's metadata (explicit options win)
  genesyscloud.sso.genesys_identity_provider:
    type: adfs
    name: Corporate ADFS
    idp_metadata_url: https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml
    sso_binding: HTTP-Redirect
    slo_binding: urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect

- name: Metadata from a file holding several IdPs
  genesyscloud.sso.genesys_identity_provider:
    type: generic
    name: Federation IdP
    idp_metadata: "{{ lookup('ansible.builtin.file', 'files/federation-metadata.xml') }}"
    idp_entity_id: https://idp.university.example/idp/shibboleth

- name: A custom provider (multi-provider API), found by name on every run
  genesyscloud.sso.genesys_identity_provider:
    type: custom
    name: Partner IdP
    provider_name: Partner staff
    display_on_login: true
    issuer_uri: urn:partner:idp
    sso_target_uri: https://idp.partner.example/saml/sso
    slo_uri: https://idp.partner.example/saml/slo
    slo_binding: HTTP Redirect
    certificates: "{{ partner_certificates }}"
    endpoint_compression: true
    force_authn: true
    logo_image_data: "{{ lookup('ansible.builtin.file', 'files/partner-logo.svg') | b64encode }}"
    metadata_url: https://idp.partner.example/saml/metadata

- name: Rename a custom provider addressed by id
  genesyscloud.sso.genesys_identity_provider:
    type: custom
    id: 6c1e0f5a-2b7d-4c1e-9a53-0d1f2e3c4b5a
    name: Partner IdP (EMEA)

- name: PureEngage provider with user auto-provisioning
  genesyscloud.sso.genesys_identity_provider:
    type: pureengage
    issuer_uri: https://gws.example.com/saml
    sso_target_uri: https://gws.example.com/saml/sso
    certificates: ["{{ gws_cert_pem }}"]
    auto_provision_users: true

- name: Accept a certificate that expired (lab only)
  genesyscloud.sso.genesys_identity_provider:
    type: onelogin
    issuer_uri: https://app.onelogin.com/saml/metadata/123
    certificates: ["{{ old_lab_cert }}"]
    allow_expired_certificates: true

- name: Disable the Genesys Cloud login once SAML works (guarded against lockout)
  genesyscloud.sso.genesys_identity_provider:
    type: purecloud
    enabled: false

- name: Delete the last provider although the Genesys Cloud login is disabled (you were warned)
  genesyscloud.sso.genesys_identity_provider:
    type: gsuite
    state: absent
    force: true

- name: Reuse a token from genesys_token, with longer time-outs and more retries
  genesyscloud.sso.genesys_identity_provider:
    region: us_west_2
    access_token: "{{ genesys_auth.access_token }}"
    timeout: 60
    retries: 8
    validate_certs: true
    type: salesforce
    issuer_uri: https://acme.my.salesforce.com
    sso_target_uri: https://acme.my.salesforce.com/idp/endpoint/HttpPost
    certificates: ["{{ salesforce_cert }}"]

- name: Against the bundled emulator, waiting longer for eventual consistency
  genesyscloud.sso.genesys_identity_provider:
    api_url: "{{ emulator.url }}"
    login_url: "{{ emulator.url }}"
    ca_path: "{{ emulator.ca_path }}"
    client_id: it-admin
    client_secret: "{{ admin_secret }}"
    type: ping
    issuer_uri: https://ping.example.com
    consistency_timeout: 30
'''

RETURN = r'''
changed:
  description: Whether the provider was (or, in check mode, would be) created, changed or deleted.
  returned: always
  type: bool
  sample: true
provider:
  description:
    - The provider after the task (re-read after a write; in check mode the predicted state), sanitised;
      an empty dict when it does not exist.
    - Keys are the module's option names; certificates as fingerprint/subject/not_after; the logo as
      size/sha256.
  returned: always
  type: dict
  sample:
    type: okta
    family: per_type
    id: 0c7a9a54-2f0e-4b4e-8d0e-3c1b2a6e9f10
    name: Okta
    enabled: true
    issuer_uri: http://www.okta.com/exk1abcd
    sso_target_uri: https://acme.okta.com/app/genesys/exk1abcd/sso/saml
    name_identifier_format: urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress
    sso_binding: urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST
    certificates:
      - fingerprint: "3A:1F:...:9C"
        subject: CN=acme.okta.com
        not_after: "2027-11-29T20:13:07Z"
id:
  description: Id of the custom provider (null when it does not exist, or not created yet in check mode).
  returned: when O(type=custom)
  type: str
  sample: 6c1e0f5a-2b7d-4c1e-9a53-0d1f2e3c4b5a
certificates:
  description: Summary of each certificate of RV(provider).
  returned: always
  type: list
  elements: dict
  contains:
    fingerprint:
      description: SHA-256 fingerprint of the DER, colon-separated upper-case hex (null when unparseable).
      type: str
    subject:
      description: Subject DN (RFC 4514).
      type: str
    issuer:
      description: Issuer DN (RFC 4514).
      type: str
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
    days_left:
      description: Whole days until RV(certificates[].not_after) (negative when expired).
      type: int
    key_type:
      description: Public key type, for example C(RSA 2048) or C(EC P-256).
      type: str
diff:
  description: Sanitised C(before) and C(after) of the provider (same in check mode and the real run).
  returned: always
  type: dict
  contains:
    before:
      description: The provider before the task (empty when absent).
      type: dict
    after:
      description: The provider after the task (empty when deleted).
      type: dict
changed_options:
  description: The options whose value differs (will differ in check mode) from the current provider.
  returned: always
  type: list
  elements: str
  sample: [certificates, enabled]
backup_file:
  description: Path of the backup written before the change (null when none was written).
  returned: always
  type: str
  sample: /home/ops/.ansible/genesyscloud_sso_backups/acme-prod_okta_20261129T201307123456Z.json
service_provider:
  description:
    - The values the IdP admin enters for this org (the Genesys Cloud side of the SAML trust). Null for
      O(type=purecloud) and O(state=absent).
  returned: when O(state=present)
  type: dict
  contains:
    acs_url:
      description: Assertion Consumer Service (single sign-on) URL, C(https://login.<domain>/saml).
      type: str
      sample: https://login.mypurecloud.ie/saml
    slo_url:
      description: Single logout URL of Genesys Cloud.
      type: str
      sample: https://login.mypurecloud.ie/saml/logout
    acs_binding:
      description: The binding of the ACS URL, C(urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST).
      type: str
    slo_binding:
      description: The provider's single logout binding as stored (null when it sets none).
      type: str
    entity_id:
      description:
        - SP entity ID / audience - the relying party identifier the provider holds; null when it holds none
          (never a value Genesys Cloud does not hold).
      type: str
      sample: genesys.cloud.acme-prod
    audience:
      description: Same as RV(service_provider.entity_id).
      type: str
    entity_id_source:
      description: V(relying_party_identifier), or V(none) when the provider holds none.
      type: str
    suggested_entity_id:
      description: C(genesys.cloud.<org short name>) when the provider holds no relying party identifier, else null.
      type: str
    name_id_format:
      description: The provider's NameID format as a URN (null when it sets none).
      type: str
    name_id:
      description: What the NameID must carry.
      type: str
    organization_short_name:
      description:
        - The org short name - O(org_short_name), the org read by the task, or the preserved clients' answer of
          C(/api/v2/organizations/me); else one read of C(/api/v2/organizations/me) (null only when that fails).
      type: str
      sample: acme-prod
    attribute_name_format:
      description: The NameFormat of the attributes, C(urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified).
      type: str
    attributes:
      description:
        - SAML attributes the IdP must send (C(email), C(OrganizationName), optional C(ServiceName)), each with
          C(name), C(value), C(required), C(name_format) and C(description).
      type: list
      elements: dict
providers:
  description:
    - Every identity provider of the org as listed before the task's change, in the form of
      RV(genesyscloud.sso.genesys_identity_provider_info#module:providers) (sanitised, with certificate
      summaries), per-type providers first.
  returned: when O(list_providers=true)
  type: list
  elements: dict
  sample:
    - type: purecloud
      family: per_type
      name: PureCloud
      enabled: true
      certificates: []
      certificate_days_left: null
organization:
  description: The org as far as the task needed it (for RV(service_provider) or the backup file name).
  returned: when the org was read or O(org_short_name) was given
  type: dict
  contains:
    short_name:
      description: The org short name (C(thirdPartyOrgName)).
      type: str
      sample: acme-prod
    id:
      description: The org id (null when only O(org_short_name) was given).
      type: str
    name:
      description: The org name (null when only O(org_short_name) was given).
      type: str
existed:
  description: Whether the provider existed before the task (null when the task failed before reading it).
  returned: always
  type: bool
proposed:
  description:
    - The sanitised provider as the task plans to leave it (the same as C(diff.after)); V({}) when nothing has to
      change or the provider is deleted. With RV(existed) and RV(end_state) it follows the existing / proposed / end
      state model of community.general's keycloak modules.
  returned: always
  type: dict
verified:
  description:
    - Whether the provider as read back O(settle_delay) after the write holds every value of the task
      (RV(not_kept) empty) and no value another writer set meanwhile. True when nothing had to change; null in check mode
      for a change; false when the write could not be read back in time.
  returned: always
  type: bool
not_kept:
  description: Options whose value Genesys Cloud did not keep on the write (compared on the read-back).
  returned: always
  type: list
  elements: str
dropped:
  description:
    - The part of RV(not_kept) for which the read-back holds no value at all (the platform drops the field on this
      type). Remembered in the journal (with O(backup)) and not compared again on this org. Empty unless the task
      wrote.
  returned: always
  type: list
  elements: str
end_state:
  description: The sanitised provider as the task leaves it (as read back; in check mode, as it is now).
  returned: always
  type: dict
clients_before:
  description: The check of O(preserved_clients) before the change (same shape as the result of genesys_oauth_check).
  returned: when O(preserved_clients) is given
  type: dict
clients_after:
  description: The check of O(preserved_clients) after the write.
  returned: when O(preserved_clients) is given and the task wrote
  type: dict
rolled_back:
  description: Whether the change was rolled back (and the rollback verified).
  returned: always
  type: bool
rollback:
  description: The rollback (reason, verified, msg, attempts), when one was attempted.
  returned: when a rollback was attempted
  type: dict
journal_file:
  description: The change journal of this run (with O(backup) and a change).
  returned: always
  type: str
recovered:
  description:
    - Interrupted changes of this org that the task finished or undid first (journal, state found, action
      C(finished), C(abandoned), C(rolled_back) or, in check mode, C(pending)).
  returned: always
  type: list
  elements: dict
failed_step:
  description:
    - On failure, the step that failed - C(recover), C(clients_before), C(read), C(guard), C(permissions) (check
      mode), C(clients_org) (a preserved client belongs to another org; before any write), C(backup), C(write),
      C(guard_after_write), C(verify), C(clients_after), C(final_verify); null on success.
  returned: always
  type: str
permissions:
  description:
    - Check mode, when something would change - the permission the write needs, checked against the admin client's
      roles (C(GET /api/v2/tokens/me), then C(GET /api/v2/authorization/roles/{roleId}) per role). A missing one
      fails the task (RV(failed_step=permissions)), as the real run would fail with 403 C(missing.any.permissions);
      roles that cannot be read (the client lacks C(authorization:role:view), or the token is a user's) give a
      warning that the permissions could not be checked.
    - C(checked) (bool), C(needed) (any one of these permissions suffices), C(roles) (names, when checked),
      C(missing), C(reason) (why it could not check).
  returned: in check mode, when the provider would change
  type: dict
  sample: {"checked": true, "needed": ["sso:provider:add", "sso:provider:edit"], "roles": ["SSO automation"], "missing": []}
lock_waited:
  description: Seconds the task waited for the per-org lock.
  returned: when the task took the lock
  type: float
read_back:
  description:
    - Whether the provider could be read back after the write (false when Genesys Cloud still answered 404
      after O(consistency_timeout); RV(provider) then shows the values sent).
  returned: when the task created or updated the provider (not in check mode)
  type: bool
  sample: true
metadata:
  description: What was imported from O(idp_metadata) / O(idp_metadata_url).
  returned: when metadata was given
  type: dict
  contains:
    entity_id:
      description: Entity ID of the IdP used.
      type: str
    filled_options:
      description: Options filled from the metadata (those you did not set).
      type: list
      elements: str
    source:
      description: The metadata URL, or C(idp_metadata).
      type: str
api_requests:
  description: Number of HTTP requests the task sent (token included).
  returned: always
  type: int
  sample: 2
'''

from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_common import run_module
from ansible_collections.genesyscloud.sso.plugins.module_utils._genesys_identity_provider_core import SPEC, core


def main():
    run_module(SPEC, core)


if __name__ == '__main__':
    main()
