import { describe, expect, it } from 'vitest';
import { redactString } from '../lib/index.ts';
import { secretForms } from '../runtime/security/testing/secret-sweep.ts';
import { builtinConnectors } from './builtin-connectors.ts';
import { credentialTypesOf } from './credentials/index.ts';
import { registerCredentialSecrets } from './sdk/credential-secrets.ts';

// What each credential type really puts on the wire (written out here by hand, the way the SDKs and protocols
// build it), and what a target can echo back: once the credential is registered, none of it survives redaction.

const b64 = (text: string) => Buffer.from(text).toString('base64');
const id = Math.random().toString(36).slice(2, 10);
/** 16 hex characters of `id`, for keys with a hex shape (WooCommerce's ck_/cs_). */
const hexId = Buffer.from(id.padEnd(8, '0')).toString('hex');

type Case = { type: string; credential: unknown; secrets: string[]; wire: string[] };

const user = `ops-${id}`;
// 10 characters: base64(user) is then not a prefix of base64(user:password).
const basicUser = `u-${id}`;
const pass = `Pw-${id}`;
const dbPassword = `p@ss:w/rd-${id}`;
const cases: Case[] = [
  {
    type: 'http',
    credential: { scheme: 'basic', username: basicUser, password: 'abc' },
    // A three-letter password is too short to register alone; what is sent is not.
    secrets: [`${basicUser}:abc`, b64(`${basicUser}:abc`)],
    wire: [`authorization: Basic ${b64(`${basicUser}:abc`)}`, `https://${basicUser}:abc@api.example.com/`],
  },
  {
    type: 'http',
    credential: { scheme: 'bearer', token: `tok-${id}-bearer` },
    secrets: [`tok-${id}-bearer`],
    wire: [`authorization: Bearer tok-${id}-bearer`],
  },
  {
    type: 'http',
    credential: { scheme: 'header', name: 'X-Api-Key', value: `key-${id}` },
    secrets: [`key-${id}`],
    wire: [`x-api-key: key-${id}`],
  },
  {
    type: 'slack',
    credential: { token: `xoxb-1-${id}` },
    secrets: [`xoxb-1-${id}`],
    wire: [`Authorization: Bearer xoxb-1-${id}`],
  },
  {
    type: 'github',
    credential: { token: `gh-${id}-0123456789abcdef` },
    secrets: [`gh-${id}-0123456789abcdef`],
    wire: [`authorization: token gh-${id}-0123456789abcdef`],
  },
  {
    type: 'discord',
    credential: {
      botToken: `bot-${id}-0123456789abcdef`,
      webhookUrl: `https://discord.com/api/webhooks/123456789012345678/hook${id}0123456789abcdef`,
    },
    secrets: [`bot-${id}-0123456789abcdef`, `hook${id}0123456789abcdef`],
    wire: [
      `Authorization: Bot bot-${id}-0123456789abcdef`,
      `POST /api/v10/webhooks/123456789012345678/hook${id}0123456789abcdef?wait=true`,
    ],
  },
  {
    type: 'todoist',
    credential: { token: `td${id}0123456789abcdef0123456789` },
    secrets: [`td${id}0123456789abcdef0123456789`],
    wire: [`authorization: Bearer td${id}0123456789abcdef0123456789`],
  },
  {
    type: 'websearch',
    credential: { provider: 'serpapi', apiKey: `serp-${id}-0123456789abcdef` },
    secrets: [`serp-${id}-0123456789abcdef`],
    wire: [
      `GET /search.json?engine=google&q=x&api_key=serp-${id}-0123456789abcdef`,
      `X-Subscription-Token: serp-${id}-0123456789abcdef`,
      `Authorization: Bearer serp-${id}-0123456789abcdef`,
    ],
  },
  {
    type: 'salesforce',
    credential: {
      instanceUrl: 'https://acme.my.salesforce.com',
      accessToken: `00D5e!AR${id}session0123456789`,
    },
    secrets: [`00D5e!AR${id}session0123456789`],
    wire: [
      `Authorization: Bearer 00D5e!AR${id}session0123456789`,
      `Authorization: OAuth 00D5e!AR${id}session0123456789`,
    ],
  },
  {
    type: 'shopify',
    credential: {
      shop: 'acme.myshopify.com',
      accessToken: `shpat_${id}0123456789abcdef`,
      clientSecret: `shpss_${id}0123456789`,
    },
    secrets: [`shpat_${id}0123456789abcdef`, `shpss_${id}0123456789`],
    wire: [`X-Shopify-Access-Token: shpat_${id}0123456789abcdef`],
  },
  {
    type: 'stripe',
    credential: { secretKey: `sk_test_${id}0123456789abcdef` },
    secrets: [`sk_test_${id}0123456789abcdef`],
    wire: [`Authorization: Bearer sk_test_${id}0123456789abcdef`],
  },
  {
    type: 'openweathermap',
    credential: { apiKey: `owm${id}0123456789abcdef01` },
    secrets: [`owm${id}0123456789abcdef01`],
    wire: [`GET /data/2.5/weather?q=Berlin&units=metric&appid=owm${id}0123456789abcdef01`],
  },
  {
    type: 'wordpress',
    credential: {
      siteUrl: 'https://blog.example.com',
      username: basicUser,
      applicationPassword: `wp${id} abcd EFGH 1234`,
    },
    secrets: [`wp${id} abcd EFGH 1234`, `${basicUser}:wp${id} abcd EFGH 1234`],
    wire: [`authorization: Basic ${b64(`${basicUser}:wp${id} abcd EFGH 1234`)}`],
  },
  {
    type: 'x',
    credential: { token: `xat${id}0123456789abcdefABCDEF` },
    secrets: [`xat${id}0123456789abcdefABCDEF`],
    wire: [`authorization: Bearer xat${id}0123456789abcdefABCDEF`],
  },
  {
    type: 'supabase',
    credential: { projectUrl: 'https://abcdefghij.supabase.co', apiKey: `eyJsb${id}.service-role-key` },
    secrets: [`eyJsb${id}.service-role-key`],
    wire: [`apikey: eyJsb${id}.service-role-key`, `authorization: Bearer eyJsb${id}.service-role-key`],
  },
  {
    type: 'woocommerce',
    credential: {
      siteUrl: 'https://shop.example.com',
      consumerKey: `ck_${'a'.repeat(24)}${hexId}`,
      consumerSecret: `cs_${'b'.repeat(24)}${hexId}`,
    },
    secrets: [`ck_${'a'.repeat(24)}${hexId}`, `cs_${'b'.repeat(24)}${hexId}`],
    wire: [`authorization: Basic ${b64(`ck_${'a'.repeat(24)}${hexId}:cs_${'b'.repeat(24)}${hexId}`)}`],
  },
  {
    type: 'telegram',
    credential: { botToken: `7123456789:AAH${id}abcdefghijklmnopqrstuvwxyz` },
    secrets: [`7123456789:AAH${id}abcdefghijklmnopqrstuvwxyz`],
    wire: [
      `POST /bot7123456789:AAH${id}abcdefghijklmnopqrstuvwxyz/sendMessage`,
      `https://api.telegram.org/bot${encodeURIComponent(`7123456789:AAH${id}abcdefghijklmnopqrstuvwxyz`)}/getMe`,
    ],
  },
  {
    type: 'calendly',
    credential: { token: `eyJraWQiOi${id}.payload.signature` },
    secrets: [`eyJraWQiOi${id}.payload.signature`],
    wire: [`authorization: Bearer eyJraWQiOi${id}.payload.signature`],
  },
  {
    type: 'whatsapp',
    credential: { accessToken: `EAAG${id}0123456789abcdefZD`, phoneNumberId: '106540352242922' },
    secrets: [`EAAG${id}0123456789abcdefZD`],
    wire: [`authorization: Bearer EAAG${id}0123456789abcdefZD`],
  },
  {
    type: 'typeform',
    credential: { token: `tfp_${id}0123456789abcdef0123` },
    secrets: [`tfp_${id}0123456789abcdef0123`],
    wire: [`authorization: Bearer tfp_${id}0123456789abcdef0123`],
  },
  {
    type: 'twilio',
    credential: { accountSid: `AC${'ab'.repeat(16)}`, authToken: `tw${id}0123456789abcdef0123456789` },
    secrets: [`tw${id}0123456789abcdef0123456789`],
    wire: [
      `authorization: Basic ${Buffer.from(`AC${'ab'.repeat(16)}:tw${id}0123456789abcdef0123456789`).toString('base64')}`,
    ],
  },
  {
    type: 'twilio',
    credential: {
      accountSid: `AC${'ab'.repeat(16)}`,
      apiKeySid: `SK${'cd'.repeat(16)}`,
      apiKeySecret: `twkey-${id}-secret`,
    },
    secrets: [`twkey-${id}-secret`],
    wire: [
      `authorization: Basic ${Buffer.from(`SK${'cd'.repeat(16)}:twkey-${id}-secret`).toString('base64')}`,
    ],
  },
  {
    type: 'llm',
    credential: { provider: 'openai', apiKey: `key-${id}-llm` },
    secrets: [`key-${id}-llm`],
    wire: [`Authorization: Bearer key-${id}-llm`, `x-api-key: key-${id}-llm`],
  },
  {
    type: 'llm',
    // baseUrl is a setting, not a secret, but a password inside it is one.
    credential: {
      provider: 'openai',
      apiKey: `key-${id}-llm2`,
      baseUrl: `https://proxy:url-pw-${id}@llm.example/v1`,
    },
    secrets: [`url-pw-${id}`, `key-${id}-llm2`],
    wire: [
      `Authorization: Basic ${b64(`proxy:url-pw-${id}`)}`,
      `GET https://proxy:url-pw-${id}@llm.example/v1`,
    ],
  },
  {
    type: 'smtp',
    credential: { host: 'smtp.example.com', user, pass, from: 'Bot <bot@example.com>' },
    secrets: [pass, `\u0000${user}\u0000${pass}`],
    wire: [`AUTH PLAIN ${b64(`\u0000${user}\u0000${pass}`)}`, `AUTH LOGIN ${b64(user)}`, b64(pass)],
  },
  {
    type: 'imap',
    credential: { host: 'imap.example.com', user, pass: `${pass}"q\\` },
    secrets: [`${pass}"q\\`, `${pass}\\"q\\\\`, `\u0000${user}\u0000${pass}"q\\`],
    // AUTHENTICATE PLAIN, AUTHENTICATE LOGIN, and LOGIN with the password as an IMAP quoted string.
    wire: [
      `A1 AUTHENTICATE PLAIN ${b64(`\u0000${user}\u0000${pass}"q\\`)}`,
      b64(`${pass}"q\\`),
      `A1 LOGIN "${user}" "${pass}\\"q\\\\"`,
    ],
  },
  {
    type: 'postgres',
    credential: { url: `postgres://report:${encodeURIComponent(dbPassword)}@db.example.com:5432/app` },
    secrets: [dbPassword, encodeURIComponent(dbPassword)],
    // Cleartext password authentication sends the decoded password.
    wire: [`p\u0000\u0000\u0000\u0015${dbPassword}\u0000`],
  },
  {
    type: 'mysql',
    credential: {
      host: 'db.example.com',
      port: 3306,
      user: 'report',
      password: dbPassword,
      database: 'shop',
    },
    secrets: [dbPassword],
    // The mysql_clear_password plugin sends the password as a NUL-terminated string.
    wire: [`${dbPassword}\u0000`],
  },
  {
    type: 'redis',
    credential: { url: `rediss://default:${encodeURIComponent(dbPassword)}@cache.example.com:6380/0` },
    secrets: [dbPassword, encodeURIComponent(dbPassword)],
    // AUTH sends the decoded password as a RESP bulk string.
    wire: [`*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$${Buffer.byteLength(dbPassword)}\r\n${dbPassword}\r\n`],
  },
  {
    type: 's3',
    credential: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: `s3-secret-${id}-0123456789`,
      sessionToken: `s3-session-${id}-token`,
      region: 'eu-central-1',
    },
    secrets: [`s3-secret-${id}-0123456789`, `s3-session-${id}-token`],
    // Only the session token travels (x-amz-security-token); the secret key signs and is never sent.
    wire: [`x-amz-security-token: s3-session-${id}-token`],
  },
  {
    type: 'dropbox',
    credential: { token: `sl.${id}0123456789abcdefghij` },
    secrets: [`sl.${id}0123456789abcdefghij`],
    wire: [`authorization: Bearer sl.${id}0123456789abcdefghij`],
  },
  {
    type: 'mcp',
    credential: { bearerToken: `mcp-${id}-token`, env: { GITHUB_TOKEN: `env-${id}-token` } },
    secrets: [`mcp-${id}-token`, `env-${id}-token`],
    wire: [`authorization: Bearer mcp-${id}-token`, `GITHUB_TOKEN=env-${id}-token`],
  },
  {
    type: 'hmac-key',
    credential: { key: `hmac-${id}-key` },
    secrets: [`hmac-${id}-key`],
    // It signs locally: nothing of it is sent.
    wire: [],
  },
  {
    type: 'api-key-header',
    credential: { name: 'X-Api-Key', value: `hdr-${id}-key` },
    secrets: [`hdr-${id}-key`],
    wire: [`x-api-key: hdr-${id}-key`],
  },
  {
    type: 'bearer',
    credential: { token: `brr-${id}-token` },
    secrets: [`brr-${id}-token`],
    wire: [`authorization: Bearer brr-${id}-token`],
  },
  {
    type: 'basic',
    credential: { username: basicUser, password: 'xyz' },
    secrets: [`${basicUser}:xyz`, b64(`${basicUser}:xyz`)],
    wire: [`authorization: Basic ${b64(`${basicUser}:xyz`)}`],
  },
  {
    type: 'api-key-query',
    credential: { name: 'api_key', value: `q+k/${id}=key` },
    secrets: [`q+k/${id}=key`],
    wire: [
      `GET /v1/items?page=2&api_key=${encodeURIComponent(`q+k/${id}=key`)}`,
      `api_key=q%2Bk%2F${id}%3Dkey`,
    ],
  },
  {
    type: 'url-token',
    credential: { token: `123456:AAH-${id}-bot` },
    secrets: [`123456:AAH-${id}-bot`],
    wire: [
      `POST /bot123456:AAH-${id}-bot/sendMessage`,
      `https://api.telegram.org/bot${encodeURIComponent(`123456:AAH-${id}-bot`)}/getMe`,
    ],
  },
  {
    type: 'oauth2-client-credentials',
    credential: {
      tokenUrl: 'https://auth.example.com/oauth/token',
      clientId: `client ${id}`,
      clientSecret: `cs+${id}/secret`,
    },
    secrets: [`cs+${id}/secret`, `client ${id}:cs+${id}/secret`],
    // RFC 6749 §2.3.1 form-encodes both before joining them for Basic; client_secret_post sends the form.
    wire: [
      `authorization: Basic ${b64(`client+${id}:cs%2B${id}%2Fsecret`)}`,
      `grant_type=client_credentials&client_id=client+${id}&client_secret=cs%2B${id}%2Fsecret`,
    ],
  },
  {
    type: 'oauth2',
    credential: {
      authorizeUrl: 'https://auth.example.com/authorize',
      tokenUrl: 'https://auth.example.com/token',
      clientId: `app ${id}`,
      clientSecret: `oc+${id}/secret`,
      scopes: ['read'],
      accessToken: `at-${id}-access`,
      refreshToken: `rt+${id}/refresh`,
      expiresAt: '2030-01-01T00:00:00.000Z',
    },
    secrets: [`oc+${id}/secret`, `at-${id}-access`, `rt+${id}/refresh`],
    // The API gets the access token; the token endpoint the Basic client pair and the form-encoded refresh token.
    wire: [
      `authorization: Bearer at-${id}-access`,
      `authorization: Basic ${b64(`app+${id}:oc%2B${id}%2Fsecret`)}`,
      `grant_type=refresh_token&refresh_token=rt%2B${id}%2Frefresh`,
    ],
  },
  {
    type: 'google-service-account',
    credential: {
      type: 'service_account',
      project_id: 'vmesh-test',
      private_key_id: `kid${id}`,
      private_key: `-----BEGIN PRIVATE KEY-----\nMIIEv${id}QIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n`,
      client_email: 'robot@vmesh-test.iam.gserviceaccount.com',
      scopes: ['https://www.googleapis.com/auth/drive'],
    },
    secrets: [`MIIEv${id}QIBADANBgkqhkiG9w0BAQEFAASC`],
    // The key never goes on the wire; a log or an echo of the stored file would.
    wire: [
      `{"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEv${id}QIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}`,
    ],
  },
  {
    type: 'aws-sigv4',
    credential: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: `wJalr/${id}+EXAMPLEKEY`,
      sessionToken: `IQoJb3JpZ2luX2Vj${id}session`,
      region: 'us-east-1',
      service: 'execute-api',
    },
    secrets: [`wJalr/${id}+EXAMPLEKEY`, `IQoJb3JpZ2luX2Vj${id}session`],
    // The secret key is only used to sign; the session token is sent as it is.
    wire: [
      `x-amz-security-token: IQoJb3JpZ2luX2Vj${id}session`,
      `{"secretAccessKey":"wJalr/${id}+EXAMPLEKEY"}`,
    ],
  },
  {
    type: 'airtable',
    credential: { token: `pat${id}.0123456789abcdef0123456789abcdef` },
    secrets: [`pat${id}.0123456789abcdef0123456789abcdef`],
    wire: [`authorization: Bearer pat${id}.0123456789abcdef0123456789abcdef`],
  },
  {
    type: 'notion',
    credential: { token: `ntn_${id}0123456789abcdefghijkl` },
    secrets: [`ntn_${id}0123456789abcdefghijkl`],
    wire: [`authorization: Bearer ntn_${id}0123456789abcdefghijkl`],
  },
  {
    type: 'hubspot',
    credential: { token: `pat-na1-${id}-2222-3333-4444-555555555555` },
    secrets: [`pat-na1-${id}-2222-3333-4444-555555555555`],
    wire: [`authorization: Bearer pat-na1-${id}-2222-3333-4444-555555555555`],
  },
  {
    type: 'pipedrive',
    credential: { apiToken: `pd${id}0123456789abcdef0123456789ab`, companyDomain: 'acme' },
    secrets: [`pd${id}0123456789abcdef0123456789ab`],
    wire: [`GET /api/v2/deals?api_token=pd${id}0123456789abcdef0123456789ab`],
  },
  {
    type: 'mattermost',
    credential: { serverUrl: 'https://chat.example.com', token: `mm${id}`.padEnd(26, '7') },
    secrets: [`mm${id}`.padEnd(26, '7')],
    // The server URL is a setting (publicFields), the token the secret.
    wire: [`authorization: Bearer ${`mm${id}`.padEnd(26, '7')}`],
  },
  {
    type: 'jira',
    credential: {
      site: 'https://acme.atlassian.net',
      email: `ana-${id}@acme.example`,
      apiToken: `ATATT-${id}-jira-token`,
    },
    secrets: [`ATATT-${id}-jira-token`, b64(`ana-${id}@acme.example:ATATT-${id}-jira-token`)],
    wire: [`authorization: Basic ${b64(`ana-${id}@acme.example:ATATT-${id}-jira-token`)}`],
  },
  {
    type: 'zendesk',
    credential: { subdomain: 'acme', email: `agent-${id}@acme.example`, apiToken: `zd-${id}-api-token` },
    secrets: [`zd-${id}-api-token`, b64(`agent-${id}@acme.example/token:zd-${id}-api-token`)],
    wire: [`authorization: Basic ${b64(`agent-${id}@acme.example/token:zd-${id}-api-token`)}`],
  },
  {
    type: 'zendesk',
    credential: { subdomain: 'acme', accessToken: `zdo-${id}-oauth-token` },
    secrets: [`zdo-${id}-oauth-token`],
    wire: [`authorization: Bearer zdo-${id}-oauth-token`],
  },
  {
    type: 'linear',
    credential: { apiKey: `lin_api_${id}abcdefghijklmnopqrstuvwxyz` },
    secrets: [`lin_api_${id}abcdefghijklmnopqrstuvwxyz`],
    wire: [`authorization: lin_api_${id}abcdefghijklmnopqrstuvwxyz`],
  },
  {
    type: 'linear',
    credential: { accessToken: `lin-oauth-${id}-access-token` },
    secrets: [`lin-oauth-${id}-access-token`],
    wire: [`authorization: Bearer lin-oauth-${id}-access-token`],
  },
  {
    type: 'trello',
    credential: {
      apiKey: '0123456789abcdef0123456789abcdef',
      token: `ATTA${id}0123456789abcdef0123456789abcdef`,
      appSecret: 'f'.repeat(64),
    },
    secrets: [
      '0123456789abcdef0123456789abcdef',
      `ATTA${id}0123456789abcdef0123456789abcdef`,
      'f'.repeat(64),
    ],
    wire: [
      `POST /1/cards?key=0123456789abcdef0123456789abcdef&token=ATTA${id}0123456789abcdef0123456789abcdef`,
      `GET /1/tokens/ATTA${id}0123456789abcdef0123456789abcdef/webhooks`,
    ],
  },
  {
    type: 'asana',
    credential: { token: `2/1204567890123456/${id}:0123456789abcdef` },
    secrets: [`2/1204567890123456/${id}:0123456789abcdef`],
    wire: [`authorization: Bearer 2/1204567890123456/${id}:0123456789abcdef`],
  },
];

const definitions = new Map(credentialTypesOf(builtinConnectors).map((d) => [d.type, d]));

describe('every credential type: what goes on the wire is redacted', () => {
  it('the table covers every credential type a built-in connector declares', () => {
    expect(new Set(cases.map((c) => c.type))).toEqual(new Set(definitions.keys()));
  });

  for (const { type, credential, secrets, wire } of cases) {
    it(`${type} ${JSON.stringify(credential).slice(0, 40)}…`, () => {
      const definition = definitions.get(type);
      expect(definition?.schema.safeParse(credential).success).toBe(true);
      registerCredentialSecrets(definition, credential);
      for (const line of wire) {
        for (const echoed of [line, JSON.stringify({ echoed: line }), encodeURIComponent(line)]) {
          const redacted = redactString(echoed);
          expect(redacted).toContain('[REDACTED]');
          for (const secret of secrets) {
            for (const form of secretForms(secret))
              expect(redacted, `${form} in ${redacted}`).not.toContain(form);
          }
        }
      }
    });
  }
});
