// Fidelity: the official Genesys Cloud JavaScript SDK (purecloud-platform-client-v2) as the client, pointed at
// the emulator. Driven by emulator/tests/test_sdk_fidelity_js.py, which runs the same sequence through the Python
// SDK and compares the two documents field by field.
//
// Input (environment; nothing secret on the command line):
//   FIDELITY_URL            the emulator, https://127.0.0.1:PORT
//   FIDELITY_ADMIN_ID / FIDELITY_ADMIN_SECRET     a client with sso:provider:* and oauth:client:view
//   FIDELITY_VIEWER_ID / FIDELITY_VIEWER_SECRET   a client with sso:provider:view only
//   FIDELITY_IDP_ISSUER / FIDELITY_IDP_SSO_URL / FIDELITY_IDP_CERT_B64   the SAML IdP the providers point at
//   NODE_EXTRA_CA_CERTS     the emulator's CA (Node adds it to its trust store; TLS checks stay on)
//   HOME                    a scratch directory: the SDK reads ~/.genesyscloudjavascript/config at start
// Output: ONE JSON document on stdout, {"sdk": {...}, "steps": [{"step", "status", "body" | "error"}, ...]}.
// No access token and no client secret is ever written; ids the emulator picks at random (the custom
// provider's id, error contextIds) are replaced by stable labels. Only the SDK's public API is used.

import { createRequire } from 'node:module';

import platformClient from 'purecloud-platform-client-v2';

const require = createRequire(import.meta.url);
const SDK_VERSION = require('purecloud-platform-client-v2/package.json').version;

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
}

const url = new URL(need('FIDELITY_URL'));
const ADMIN = [need('FIDELITY_ADMIN_ID'), need('FIDELITY_ADMIN_SECRET')];
const VIEWER = [need('FIDELITY_VIEWER_ID'), need('FIDELITY_VIEWER_SECRET')];
const IDP = {
  issuer: need('FIDELITY_IDP_ISSUER'),
  sso: need('FIDELITY_IDP_SSO_URL'),
  cert: need('FIDELITY_IDP_CERT_B64'),
};
const SECRETS = [ADMIN[1], VIEWER[1]];

// Random values -> stable labels: every id the emulator chose (providers) and every error contextId is
// registered in order of first appearance, then each occurrence in the document (also inside a selfUri) is
// replaced by its label. The Python side (test_sdk_fidelity_js.py) labels its own run the same way.
const labels = new Map();
function register(kind, value) {
  if (typeof value === 'string' && value !== '' && !labels.has(value)) {
    const n = [...labels.values()].filter((l) => l.startsWith(`<${kind}-`)).length + 1;
    labels.set(value, `<${kind}-${n}>`);
  }
}
function relabel(text) {
  for (const [value, name] of labels) {
    text = text.split(value).join(name);
  }
  return text;
}

function newClient() {
  // one ApiClient per identity (ApiClientClass: the SDK's own class; ApiClient is its singleton)
  const client = new platformClient.ApiClientClass();
  client.setGateway({ host: url.hostname, protocol: url.protocol.replace(':', ''), port: Number(url.port) });
  client.setReturnExtendedResponses(true); // {status, headers, body} on success and on error
  return client;
}

const steps = [];

async function login(name, creds) {
  const client = newClient();
  await client.loginClientCredentialsGrant(creds[0], creds[1]);
  steps.push({ step: name, ok: Boolean(client.authData.accessToken) });
  return client;
}

function errorOf(err) {
  // the SDK rejects an API call with {status, statusText, headers, body, text, error} (extended responses)
  if (!err || typeof err.status !== 'number') {
    throw err;
  }
  const body = err.body || {};
  register('context', body.contextId);
  const correlation = (err.headers || {})['inin-correlation-id'];
  return { status: err.status, error: body, contextIdIsCorrelationId: Boolean(body.contextId) && body.contextId === correlation };
}

// register the ids in a provider answer (one provider or a listing)
function ids(body) {
  for (const e of (body && body.entities) || [body]) {
    register('provider', e && e.id);
  }
  return body;
}

async function step(name, call, shape = (b) => b) {
  try {
    const res = await call();
    steps.push({ step: name, status: res.status, body: res.body === undefined || res.body === '' ? null : shape(res.body) });
  } catch (err) {
    steps.push({ step: name, ...errorOf(err) });
  }
}

async function main() {
  const admin = await login('login admin', ADMIN);
  const tokens = new platformClient.TokensApi(admin);
  const org = new platformClient.OrganizationApi(admin);
  const oauth = new platformClient.OAuthApi(admin);
  const idps = new platformClient.IdentityProviderApi(admin);

  await step('tokens me', () => tokens.getTokensMe());
  await step('organizations me', () => org.getOrganizationsMe());
  await step('oauth clients', () => oauth.getOauthClients());
  await step('oauth client missing', () => oauth.getOauthClient('nope'));
  await step('providers initial', () => idps.getIdentityproviders(), ids);

  // per-type provider: okta
  await step('okta get absent', () => idps.getIdentityprovidersOkta());
  const okta = {
    name: 'Okta', issuerURI: IDP.issuer, ssoTargetURI: IDP.sso, certificates: [IDP.cert],
    relyingPartyIdentifier: 'urn:acme', disabled: false,
  };
  await step('okta put', () => idps.putIdentityprovidersOkta(okta), ids);
  await step('okta get', () => idps.getIdentityprovidersOkta(), ids);
  await step('providers with okta', () => idps.getIdentityproviders(), ids);
  await step('okta delete', () => idps.deleteIdentityprovidersOkta());
  await step('okta get deleted', () => idps.getIdentityprovidersOkta());

  // custom provider: post / get by id / put / delete
  const custom = {
    name: 'Corp', issuerURI: IDP.issuer, ssoTargetURI: IDP.sso, certificate: IDP.cert, certificates: [IDP.cert],
    endpointCompression: true, nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  };
  let customId = 'not-created';
  await step('custom post', async () => {
    const res = await idps.postIdentityproviders(custom);
    customId = res.body.id;
    return res;
  }, ids);
  await step('custom get', () => idps.getIdentityprovider(customId), ids);
  await step('custom put', () => idps.putIdentityprovider(customId, { ...custom, name: 'Corp renamed', disabled: true }), ids);
  await step('providers with custom', () => idps.getIdentityproviders(), ids);
  await step('custom delete', () => idps.deleteIdentityprovider(customId));
  await step('custom get deleted', () => idps.getIdentityprovider(customId));

  // error cases, read from the SDK's error object
  await step('generic put without name', () => idps.putIdentityprovidersGeneric({ issuerURI: 'https://idp.example' }));
  const viewer = await login('login viewer', VIEWER);
  await step('viewer okta put', () => new platformClient.IdentityProviderApi(viewer).putIdentityprovidersOkta({ issuerURI: 'https://idp.example' }));
  const revoked = new platformClient.TokensApi(await login('login admin again', ADMIN));
  await step('tokens me delete', () => revoked.deleteTokensMe());
  await step('tokens me revoked', () => revoked.getTokensMe());
  try {
    await login('login wrong secret', [ADMIN[0], 'wrong']);
  } catch (err) {
    // the token call rejects with the HTTP client's error: {response: {status, data}}
    if (!err || !err.response) {
      throw err;
    }
    steps.push({ step: 'login wrong secret', status: err.response.status, error: err.response.data });
  }
}

try {
  await main();
  const out = relabel(JSON.stringify({ sdk: { name: 'purecloud-platform-client-v2', version: SDK_VERSION }, steps }));
  for (const secret of SECRETS) {
    if (out.includes(secret)) {
      throw new Error('a client secret would be printed');
    }
  }
  process.stdout.write(out + '\n');
  process.exit(0);
} catch (err) {
  // never print the error object as a whole: it carries the request's headers (Authorization)
  process.stderr.write(`fidelity.mjs: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(2);
}
