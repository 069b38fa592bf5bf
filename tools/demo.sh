#!/usr/bin/env bash
# make demo: switch a (local, emulated) Genesys Cloud org to SAML single sign-on, end to end.
#
#   1. start the bundled Genesys Cloud emulator with the demo org (emulator/seeds/demo.yml)
#   2. make a test identity provider (IdP): signing key, certificate and SAML metadata
#   3. dry run:  ansible-playbook playbooks/configure_sso.yml --check --diff   (nothing is written)
#   4. real run: the same playbook configures the provider
#   5. re-run:   nothing left to change (changed=0)
#   6. a user signs in through the new provider (a signed SAML response posted to the emulator's ACS)
#   7. print the values the IdP admin enters, and stop the emulator
#
# Everything it writes goes to build/demo/. It exits non-zero as soon as a step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
OUT="$ROOT/build/demo"
LIFETIME=300  # the emulator stops by itself after this many seconds, whatever happens to this script

if [ ! -x "$PY" ] || [ ! -x "$VENV/bin/ansible-playbook" ]; then
    echo "demo: $VENV is missing; run 'make venv' (or 'make demo', which creates it) first" >&2
    exit 1
fi

# Bold headings only on a terminal (and not with NO_COLOR): `make demo > demo.log` gets plain text, no ANSI codes.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\ndemo FAILED: %s\n' "$*" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/summaries" "$OUT/backups"

# Our collection from this working tree and the dev kit's Ansible settings (devkit/genesys_devkit/ansible_env.py, the
# same as the tests'): the .collections link, no colour codes in the playbook logs of build/demo/, the venv's python
# and bin first, emulator/ on PYTHONPATH, none of the caller's GENESYSCLOUD_* variables or ANSIBLE_CONFIG.
SHELL_ENV="$(cd "$ROOT/devkit" && "$PY" -m genesys_devkit shell-env --python "$PY")" || die "the dev kit did not answer"
eval "$SHELL_ENV"
# The playbook logs in build/demo/ are files: no colour codes in them (ANSIBLE_FORCE_COLOR would override NOCOLOR).
unset ANSIBLE_FORCE_COLOR
export ANSIBLE_NOCOLOR=1
# The role emits each org's summary with set_stats (what AWX shows as artifacts); print it at the end of a run.
export ANSIBLE_SHOW_CUSTOM_STATS=1
# Credentials reach the role through the environment, as they would from a vault or a CI secret store.
# These are the demo org's (see emulator/seeds/demo.yml); nothing else here holds a secret.
export GENESYSCLOUD_OAUTHCLIENT_ID=demo-admin
export GENESYSCLOUD_OAUTHCLIENT_SECRET=demo-admin-secret
export DEMO_BOT_SECRET=demo-bot-secret

START=$(date +%s)
EMU_PID=""
cleanup() {
    if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill "$EMU_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$EMU_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------
say "1/7 Starting the Genesys Cloud emulator (a local copy of the platform API, with a demo org)"
timeout "$LIFETIME" "$PY" -m genesys_emulator --state-dir "$OUT/emulator" --port 0 \
    --seed emulator/seeds/demo.yml --lifetime-seconds "$LIFETIME" > "$OUT/emulator.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 150); do
    [ -s "$OUT/emulator/endpoint.json" ] && break
    kill -0 "$EMU_PID" 2>/dev/null || die "the emulator did not start; see $OUT/emulator.log"
    sleep 0.1
done
[ -s "$OUT/emulator/endpoint.json" ] || die "the emulator was not ready after 15 s; see $OUT/emulator.log"
URL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$OUT/emulator/endpoint.json")
CA=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_path"])' "$OUT/emulator/endpoint.json")
info "emulator at $URL (org 'demo-org', admin client 'demo-admin', bot client 'demo-bot', user alice@demo.example)"
info "it serves the login service and the API with its own CA ($CA) and stops by itself after ${LIFETIME}s"

# Helper: questions to the emulator (request log, state) for the explanations below.
emu() { "$PY" - "$URL" "$CA" "$@" <<'EOF'
import json, sys
import requests
url, ca, what = sys.argv[1], sys.argv[2], sys.argv[3]
if what == 'writes':
    log = requests.get(url + '/_emulator/requests', params={'org': 'demo-org'}, verify=ca, timeout=30).json()
    print(len([r for r in log if r['method'] in ('POST', 'PUT', 'PATCH', 'DELETE') and r['path'].startswith('/api/v2/')]))
elif what == 'count':
    print(len(requests.get(url + '/_emulator/requests', params={'org': 'demo-org'}, verify=ca, timeout=30).json()))
elif what == 'clear':
    requests.delete(url + '/_emulator/requests', verify=ca, timeout=30)
EOF
}

# ---------------------------------------------------------------------------------------------------------
say "2/7 Making a test identity provider (what Okta, Entra ID or ADFS would be in real life)"
"$PY" -m genesys_emulator.saml_idp init --dir "$OUT/idp" --entity-id https://idp.demo.example/entity \
    --sso-url https://idp.demo.example/sso > "$OUT/idp-init.json"
info "signing certificate and SAML metadata in $OUT/idp/ (the key stays there: it signs the sign-in below)"

cat > "$OUT/inventory.yml" <<EOF
# Written by tools/demo.sh: one inventory host per Genesys Cloud org.
genesys_orgs:
  hosts:
    demo-org:
      # The emulator instead of a real region (a real org sets saml_sso_region: us-east-1 or similar).
      saml_sso_api_url: $URL
      saml_sso_login_url: $URL
      saml_sso_ca_path: $CA
      # The admin client comes from GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET.
      saml_sso_preserved_clients:
        - name: reporting-bot
          client_id: demo-bot
          client_secret: "{{ lookup('ansible.builtin.env', 'DEMO_BOT_SECRET') }}"
      saml_sso_provider:
        type: generic
        name: Demo IdP
        idp_metadata: "{{ lookup('ansible.builtin.file', '$OUT/idp/idp-metadata.xml') }}"
        relying_party_identifier: genesys.cloud.demo-org
      saml_sso_backup_dir: $OUT/backups
EOF
info "inventory: $OUT/inventory.yml"

PLAYBOOK=(ansible-playbook playbooks/configure_sso.yml -i "$OUT/inventory.yml")

# run_step NAME LOG [ansible-playbook options...]: run the playbook, keep its output in LOG and the org's
# summary (the set_stats data "saml_sso_summary" printed under CUSTOM STATS) in summaries/NAME.json.
run_step() {
    local name=$1 log=$2
    shift 2
    if ! "${PLAYBOOK[@]}" "$@" > "$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "the $name run failed; the whole output is in $log"
    fi
    "$PY" - "$log" "$OUT/summaries/$name.json" <<'EOF' || die "no saml_sso_summary in $log"
import json, sys
for line in open(sys.argv[1]):
    if line.strip().startswith('RUN: {'):
        data = json.loads(line.split('RUN: ', 1)[1])['saml_sso_summary']['demo-org']
        json.dump(data, open(sys.argv[2], 'w'), indent=2, sort_keys=True)
        sys.exit(0)
sys.exit(1)
EOF
}

# summary NAME: the org's summary as the role recorded it, in words.
summary() { "$PY" - "$OUT/summaries/$1.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
def show(text):
    print('    ' + text)
if r['status'] != 'ok':
    show('FAILED at %s: %s' % (r['failed_step'], r['error']))
elif r['mode'] == 'check':
    show('would %s the %s provider; fields: %s' % ('create' if r['action'] == 'created' else 'update',
                                                   r['provider']['type'], ', '.join(r['changed_fields']))
         if r['changed'] else 'nothing would change')
elif r['changed']:
    show('%s the %s provider %r (enabled: %s); fields: %s' % (r['action'], r['provider']['type'], r['provider']['name'],
                                                         r['provider']['enabled'], ', '.join(r['changed_fields'])))
else:
    show('nothing changed: the provider is already as intended')
if r['clients_before']['checked']:
    show('preserved OAuth client(s) before the change: ' + '; '.join(r['clients_before']['lines']))
if r['clients_after']['checked']:
    show('preserved OAuth client(s) after the change:  ' + '; '.join(r['clients_after']['lines']))
if r['backup_file']:
    show('backup of what the provider was before: ' + r['backup_file'])
EOF
}

# ---------------------------------------------------------------------------------------------------------
say "3/7 Dry run: ansible-playbook playbooks/configure_sso.yml --check --diff"
emu clear
run_step check "$OUT/1-check.log" --check --diff
info "the diff the real run will apply (certificates shown as fingerprints, never as blobs):"
awk '/^--- before/{p=1} p&&/^(changed|ok):/{exit} p{print "      " $0}' "$OUT/1-check.log"
summary check
WRITES=$(emu writes)
[ "$WRITES" = "0" ] || die "the dry run wrote $WRITES time(s) to the platform"
info "requests it made: $(emu count), of which writes: $WRITES (check mode only reads)"

# ---------------------------------------------------------------------------------------------------------
say "4/7 Real run: the same playbook configures single sign-on"
emu clear
run_step apply "$OUT/2-apply.log"
summary apply
# The run verified its write itself (step 5: a value the platform did not keep fails the org); the drift check
# shows it from the outside: --tags verify reads the provider and compares it with the inventory, writing nothing.
run_step verify "$OUT/2-verify.log" --tags verify
grep -q 'matches the intended fields' "$OUT/2-verify.log" || die "the drift check did not confirm the provider (see $OUT/2-verify.log)"
info "drift check (--tags verify): the provider as read back is enabled and matches the intended fields and certificate"

# ---------------------------------------------------------------------------------------------------------
say "5/7 Re-run: an org that is already configured needs no change"
emu clear
run_step rerun "$OUT/3-rerun.log"
RECAP=$(grep -E '^demo-org +:' "$OUT/3-rerun.log" | tail -n 1)
echo "$RECAP" | grep -qE 'changed=0 .*failed=0' || die "the re-run was expected to report changed=0: $RECAP"
summary rerun
info "recap: $(echo "$RECAP" | tr -s ' ')"
info "requests: $(emu count), writes: $(emu writes) (the clients are not validated twice when nothing changed)"

# ---------------------------------------------------------------------------------------------------------
say "6/7 Single sign-on: alice@demo.example signs in through the new provider"
if ! "$PY" -m genesys_emulator.saml_idp sign-in --url "$URL" --ca "$CA" --dir "$OUT/idp" --org demo-org \
        --email alice@demo.example --audience genesys.cloud.demo-org > "$OUT/signin.json" 2>&1; then
    cat "$OUT/signin.json" >&2
    die "the SAML sign-in was refused"
fi
"$PY" - "$OUT/signin.json" <<'EOF'
import json, sys
answer = json.load(open(sys.argv[1]))
body = answer.get('body') or {}
print('    the test IdP signed a SAML response for %s (attributes email and OrganizationName=%s);'
      % (body.get('email'), body.get('org')))
print('    the emulator\'s ACS verified its signature against the configured certificate: HTTP %s, %s via %s provider %r'
      % (answer['status'], body.get('result'), body.get('provider'), body.get('provider_name')))
EOF

# ---------------------------------------------------------------------------------------------------------
say "7/7 What the IdP admin enters on their side (from the role's summary)"
"$PY" - "$OUT/summaries/apply.json" <<'EOF'
import json, sys
sp = json.load(open(sys.argv[1]))['service_provider']
print('    ACS URL (single sign-on URL):  %s' % sp['acs_url'])
print('    Single logout URL:             %s' % sp['slo_url'])
print('    Audience / SP entity ID:       %s' % sp['entity_id'])
for attr in sp['attributes']:
    text = attr['value'] if attr.get('value') else attr.get('description', '')
    print('    Attribute %-20s %s' % (attr['name'] + ':', text if attr.get('required') else '(optional) ' + text))
EOF

cleanup
EMU_PID=""
say "Done in $(( $(date +%s) - START )) s. The emulator is stopped."
info "playbook output:    $OUT/1-check.log, $OUT/2-apply.log, $OUT/2-verify.log, $OUT/3-rerun.log"
info "per-run summaries:  $OUT/summaries/{check,apply,rerun}.json (the role's set_stats 'saml_sso_summary')"
info "provider backup:    $OUT/backups/demo-org/"
info "emulator log:       $OUT/emulator.log"
info "next: docs/role.md (variables, a real org, multi-org, troubleshooting)"
