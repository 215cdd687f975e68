// A real OpenID Connect provider (oidc-provider, OpenID-certified) for the test suite: the county's identity
// provider stand-in that Innspill's staff sign in through (tests/test_oidc.py, tests/browser/).
//
//   node provider.mjs PORT
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI and OIDC_POST_LOGOUT_REDIRECT_URI (one
// client, a confidential web application, as a county registers Innspill). The issuer is
// http://127.0.0.1:PORT. The built-in development pages sign in anyone: the login name picks the account
// below, and any other name is an account <name>@fylke.test without groups.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.OIDC_PORT || 0);
if (!port) {
  console.error('usage: node provider.mjs PORT');
  process.exit(2);
}
const need = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};

// The groups are what Innspill's SURVEY_APP_OIDC_ROLE_MAP maps to roles in the tests.
const ACCOUNTS = {
  kari: { email: 'kari.nordmann@fylke.test', name: 'Kari Nordmann', groups: ['innspill-radgiver'] },
  ola: { email: 'ola.admin@fylke.test', name: 'Ola Admin', groups: ['ansatte', 'innspill-admin'] },
  lise: { email: 'lise.leser@fylke.test', name: 'Lise Leser', groups: ['innspill-leser'] },
  uten: { email: 'uten.gruppe@fylke.test', name: 'Uten Gruppe', groups: ['ansatte'] },
  ukjent: { email: 'ny.ansatt@fylke.test', name: 'Ny Ansatt', groups: ['innspill-leser'] },
  'ikke-bekreftet': {
    email: 'ikke.bekreftet@fylke.test', name: 'Ikke Bekreftet', groups: [], email_verified: false,
  },
};

function account(id) {
  const known = ACCOUNTS[id] ?? { email: `${id}@fylke.test`, name: id, groups: [] };
  return {
    accountId: id,
    // Only what the granted scopes release reaches the client (the `claims` setting below).
    async claims() {
      return {
        sub: id,
        email: known.email,
        email_verified: known.email_verified ?? true,
        name: known.name,
        groups: known.groups,
      };
    },
  };
}

const configuration = {
  clients: [
    {
      client_id: need('OIDC_CLIENT_ID'),
      client_secret: need('OIDC_CLIENT_SECRET'),
      redirect_uris: [need('OIDC_REDIRECT_URI')],
      post_logout_redirect_uris: [need('OIDC_POST_LOGOUT_REDIRECT_URI')],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Scope → the claims it releases. `groups` is the role claim a county's provider sends (Entra ID and
  // Keycloak both can).
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Stricter than the default (PKCE only for public clients): a sign-in without S256 PKCE fails here, so the
  // tests show Innspill sends it.
  pkce: { required: () => true },
  findAccount: (ctx, id) => account(id),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Fixed keys: these are test fixtures, not secrets.
  cookies: { keys: ['innspill-test-provider-cookie-key'] },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
// The built-in pages load a web font from the internet; the tests' browser must not leave this machine.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.body.includes('@import url(https://')) {
    ctx.body = ctx.body.replace(/@import url\(https:[^)]*\);?/g, '');
  }
});
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
