import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRunFailedTask, RUN_FAILED_TASK } from '../agent/index.ts';
import {
  type ScriptedModelServer,
  type ScriptRequest,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import {
  builtinConnectors,
  type CredentialDefinition,
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  OAuth2Config,
  parseSecretKey,
} from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { logger } from '../lib/logger.ts';
import type { EngineWorker } from '../runtime/engine/worker.ts';
import { everyRowText, leakedForms, secretForms } from '../runtime/security/testing/secret-sweep.ts';
import { createEngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import type { RunningApp } from './start.ts';
import { startSignedApp } from './web-auth/testing/signed-app.ts';

// The canary sweep over every credential type the built-in connectors declare (each auth style, each connector's
// own type): each is stored with distinct canaries in its secret fields — through a one-time connect link where its
// page can take it (paste form; oauth2 through the provider and /oauth/callback), else as `vmesh credentials set`
// stores it — and used by a real worker run against a local API that echoes every request back (headers, URL,
// body), in a 200 and then in the 401 that fails the run. Token endpoints are local fakes; every token they issue is
// a canary too. Each failed run goes through self-healing, whose scripted model asks explain_failure and get_run.
// Links are also asked for with canaries in settings they refuse. Afterwards no form of any canary (raw, base64,
// base64url, hex, URL-encoded, JSON-escaped, HTML-escaped, Latin-1-misread, the tail after the first characters) is
// in: any row of any table (the sealed ciphertext included), the process log, the console, any answer of the API,
// any request the model received, or any HTML of the connect pages (the form, its error pages after bad submits
// made of canaries, the connected page, the OAuth callback pages). Only the echoing API and the token endpoints see
// the secrets: that is where they are sent. A new credential type gets canaries in its secret fields by itself; the
// first test says when it needs a shape (SHAPES) or a step (CONNECTOR_STEPS).

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A canary with the characters encoders treat differently. */
const canary = (label: string) => `cnry-${label}-Sëcret+/=&?:@-${hex(8)}`;
/** A canary of letters and digits only, for fields with a shape (tokens in URLs, vendor token prefixes). */
const plainCanary = (label: string) => `cnry${label.replace(/[^A-Za-z0-9]/g, '')}${hex(12)}`;

const apiToken = `shared-${hex(12)}`;
const secretKey = randomBytes(32).toString('base64');
const jsonAuth = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };

type Node = { id: string; uses: string; with: Record<string, unknown> };

type Case = {
  /** The credential's name (also its workflow's). */
  name: string;
  type: string;
  secret: Record<string, unknown>;
  /** The canaries the secret holds (public settings such as a header name are not secrets). */
  canaries: string[];
  /** The token endpoint refuses it: the run fails there, before the API. */
  refused?: boolean;
  /** Where its secrets go when not to the API (`/api/<name>/…`): its token endpoint. */
  tokenPath?: string;
};

type Fixture = {
  echo: string;
  googlePrivateKey: string;
  /** PEM body lines of that key, and the body as one line: what must never be shown. */
  googleKeyLines: string[];
};

/** Valid secrets of the types whose fields have a shape; every other type gets canaries in its secret fields. */
const SHAPES: Record<string, (fixture: Fixture) => Omit<Case, 'name' | 'type'>[]> = {
  http: () => {
    const token = canary('http-bearer');
    const password = canary('http-basic');
    const value = canary('http-header');
    return [
      { secret: { scheme: 'bearer', token }, canaries: [token] },
      { secret: { scheme: 'basic', username: 'ada', password }, canaries: [password] },
      { secret: { scheme: 'header', name: 'X-Api-Key', value }, canaries: [value] },
    ];
  },
  basic: () => {
    const password = canary('basic');
    return [{ secret: { username: 'ada', password }, canaries: [password] }];
  },
  'url-token': () => {
    const token = `123456:${plainCanary('urltoken')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  'oauth2-client-credentials': ({ echo }) =>
    (['basic', 'body'] as const).flatMap((clientAuth) => {
      const ok = canary(`cc-${clientAuth}`);
      const refused = canary(`cc-${clientAuth}-refused`);
      const settings = { clientId: `vmesh machine ${clientAuth}`, scopes: ['read'], clientAuth };
      return [
        { secret: { tokenUrl: `${echo}/token`, clientSecret: ok, ...settings }, canaries: [ok] },
        {
          secret: { tokenUrl: `${echo}/token-refuse`, clientSecret: refused, ...settings },
          canaries: [refused],
          refused: true,
          tokenPath: '/token-refuse',
        },
      ];
    }),
  oauth2: ({ echo }) => {
    const ok = canary('oauth2');
    const refused = canary('oauth2-refused');
    const revoked = canary('oauth2-revoked');
    const app = {
      authorizeUrl: `${echo}/authorize`,
      clientId: 'vmesh app',
      scopes: ['read', 'offline_access'],
    };
    return [
      { secret: { ...app, tokenUrl: `${echo}/token`, clientSecret: ok }, canaries: [ok] },
      {
        secret: { ...app, tokenUrl: `${echo}/token-refuse`, clientSecret: refused },
        canaries: [refused],
        refused: true,
        tokenPath: '/token-refuse',
      },
      // Connected, but the provider refuses to renew it (revoked): the step needs a reconnect.
      {
        secret: { ...app, tokenUrl: `${echo}/token-revoked`, clientSecret: revoked },
        canaries: [revoked],
        tokenPath: '/token-revoked',
      },
    ];
  },
  'google-service-account': ({ echo, googlePrivateKey, googleKeyLines }) =>
    ['token', 'token-refuse'].map((path) => ({
      secret: {
        type: 'service_account',
        project_id: 'vmesh-test',
        private_key_id: `kid${hex(4)}`,
        private_key: googlePrivateKey,
        client_email: 'robot@vmesh-test.iam.gserviceaccount.com',
        token_uri: `${echo}/${path}`,
        scopes: ['https://www.googleapis.com/auth/spreadsheets'],
      },
      canaries: [googlePrivateKey, ...googleKeyLines],
      ...(path === 'token-refuse' ? { refused: true, tokenPath: '/token-refuse' } : {}),
    })),
  'aws-sigv4': () => {
    const secretAccessKey = canary('aws-secret');
    const sessionToken = plainCanary('awssession');
    return [
      {
        secret: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey,
          sessionToken,
          region: 'us-east-1',
          service: 'execute-api',
        },
        canaries: [secretAccessKey, sessionToken],
      },
    ];
  },
  jira: () => {
    const apiToken = plainCanary('jiratoken');
    return [
      {
        secret: { site: 'https://acme.atlassian.net', email: 'ana@acme.example', apiToken },
        canaries: [apiToken],
      },
    ];
  },
  zendesk: () => {
    const apiToken = plainCanary('zendesktoken');
    const accessToken = plainCanary('zendeskoauth');
    return [
      { secret: { subdomain: 'acme', email: 'agent@acme.example', apiToken }, canaries: [apiToken] },
      { secret: { subdomain: 'acme', accessToken }, canaries: [accessToken] },
    ];
  },
  linear: () => {
    const apiKey = `lin_api_${plainCanary('linearkey')}`;
    const accessToken = plainCanary('linearoauth');
    return [
      { secret: { apiKey }, canaries: [apiKey] },
      { secret: { accessToken }, canaries: [accessToken] },
    ];
  },
  trello: () => {
    const apiKey = hex(16);
    const token = `ATTA${plainCanary('trellotoken')}`;
    const appSecret = hex(32);
    return [{ secret: { apiKey, token, appSecret }, canaries: [apiKey, token, appSecret] }];
  },
  asana: () => {
    const token = `2/1204567890123456/${plainCanary('asanapat')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  todoist: () => {
    const token = plainCanary('todoisttoken');
    return [{ secret: { token }, canaries: [token] }];
  },
  openweathermap: () => {
    const apiKey = plainCanary('owmkey');
    return [{ secret: { apiKey }, canaries: [apiKey] }];
  },
  telegram: () => {
    const botToken = `7123456789:${plainCanary('telegrambottoken')}`;
    return [{ secret: { botToken }, canaries: [botToken] }];
  },
  websearch: () => {
    const apiKey = canary('websearchkey');
    return [{ secret: { provider: 'brave', apiKey }, canaries: [apiKey] }];
  },
  salesforce: () => {
    const accessToken = canary('salesforcetoken');
    return [
      {
        secret: { instanceUrl: 'https://vmesh-canary.my.salesforce.com', accessToken },
        canaries: [accessToken],
      },
    ];
  },
  shopify: () => {
    const accessToken = `shpat_${plainCanary('shopifytoken')}`;
    const clientSecret = canary('shopifysecret');
    return [
      {
        secret: { shop: 'vmesh-canary.myshopify.com', accessToken, clientSecret },
        canaries: [accessToken, clientSecret],
      },
    ];
  },
  stripe: () => {
    const secretKey = `sk_test_${plainCanary('stripekey')}`;
    return [{ secret: { secretKey }, canaries: [secretKey] }];
  },
  calendly: () => {
    const token = plainCanary('calendlytoken');
    return [{ secret: { token }, canaries: [token] }];
  },
  whatsapp: () => {
    const accessToken = `EAA${plainCanary('whatsapptoken')}`;
    return [{ secret: { accessToken, phoneNumberId: '106540352242922' }, canaries: [accessToken] }];
  },
  typeform: () => {
    const token = plainCanary('typeformtoken');
    return [{ secret: { token }, canaries: [token] }];
  },
  twilio: () => {
    const authToken = plainCanary('twilioauthtoken');
    const apiKeySecret = canary('twilio-key-secret');
    return [
      { secret: { accountSid: `AC${hex(16)}`, authToken }, canaries: [authToken] },
      {
        secret: { accountSid: `AC${hex(16)}`, apiKeySid: `SK${hex(16)}`, apiKeySecret },
        canaries: [apiKeySecret],
      },
    ];
  },
  slack: () => {
    const token = `xoxb-${plainCanary('slack')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  discord: () => {
    const botToken = plainCanary('discordbot');
    const hook = plainCanary('discordhook');
    return [
      {
        secret: { botToken, webhookUrl: `https://discord.com/api/webhooks/123456789012345678/${hook}` },
        canaries: [botToken, hook],
      },
    ];
  },
  smtp: () => {
    const pass = canary('smtp');
    return [
      {
        secret: { host: 'smtp.example.com', user: 'bot', pass, from: 'Bot <bot@example.com>' },
        canaries: [pass],
      },
    ];
  },
  imap: () => {
    const pass = canary('imap');
    return [{ secret: { host: 'imap.example.com', user: 'bot', pass }, canaries: [pass] }];
  },
  postgres: () => {
    const password = plainCanary('pg');
    // A port nobody listens on: the connection is refused before the password is sent.
    return [{ secret: { url: `postgres://report:${password}@127.0.0.1:1/app` }, canaries: [password] }];
  },
  mysql: () => {
    const password = plainCanary('mysqlpw');
    // A port nobody listens on: the connection is refused before the handshake.
    return [
      {
        secret: { host: '127.0.0.1', port: 1, user: 'report', password, database: 'app', ssl: false },
        canaries: [password],
      },
    ];
  },
  redis: () => {
    const password = plainCanary('redispw');
    // A port nobody listens on: the connection is refused before AUTH.
    return [
      {
        secret: { url: `redis://default:${password}@127.0.0.1:1/0`, keyPrefix: 'vmesh:' },
        canaries: [password],
      },
    ];
  },
  s3: () => {
    const secretAccessKey = canary('s3-secret');
    const sessionToken = plainCanary('s3session');
    return [
      {
        secret: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey, sessionToken, region: 'eu-central-1' },
        canaries: [secretAccessKey, sessionToken],
      },
    ];
  },
  dropbox: () => {
    const token = `sl.${plainCanary('dropboxtoken')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  llm: ({ echo }) => {
    const apiKey = canary('llm');
    return [
      {
        secret: { provider: 'openai', apiKey, baseUrl: `${echo}/llm/v1`, model: 'gpt-test' },
        canaries: [apiKey],
      },
    ];
  },
  wordpress: () => {
    const applicationPassword = plainCanary('wordpressapppassword');
    return [
      {
        secret: { siteUrl: 'https://blog.example.com', username: 'ana', applicationPassword },
        canaries: [applicationPassword],
      },
    ];
  },
  x: () => {
    const token = plainCanary('xuseraccesstoken');
    return [{ secret: { token }, canaries: [token] }];
  },
  supabase: () => {
    const apiKey = plainCanary('supabaseservicerolekey');
    return [{ secret: { projectUrl: 'https://abcdefghij.supabase.co', apiKey }, canaries: [apiKey] }];
  },
  woocommerce: () => {
    const consumerKey = `ck_${hex(20)}`;
    const consumerSecret = `cs_${hex(20)}`;
    return [
      {
        secret: { siteUrl: 'https://shop.example.com', consumerKey, consumerSecret },
        canaries: [consumerKey, consumerSecret],
      },
    ];
  },
  mattermost: ({ echo }) => {
    // A personal access token is 26 lower-case letters and digits; the server URL is a public setting.
    const token = `cnry${hex(11)}`;
    return [{ secret: { serverUrl: `${echo}/mattermost`, token }, canaries: [token] }];
  },
  mcp: () => {
    const bearerToken = canary('mcp');
    const env = plainCanary('mcpenv');
    return [{ secret: { bearerToken, env: { GITHUB_TOKEN: env } }, canaries: [bearerToken, env] }];
  },
  airtable: () => {
    const token = `pat${plainCanary('airtabletoken')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  notion: () => {
    const token = `ntn_${plainCanary('notiontoken')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  hubspot: () => {
    const token = `pat-na1-${plainCanary('hubspottoken')}`;
    return [{ secret: { token }, canaries: [token] }];
  },
  pipedrive: () => {
    const apiToken = plainCanary('pipedrivetoken');
    return [{ secret: { apiToken }, canaries: [apiToken] }];
  },
};

/** Canaries in every secret field of an object type (public fields get plain settings); undefined if that does not parse. */
function genericCase(definition: CredentialDefinition): Omit<Case, 'name' | 'type'> | undefined {
  if (!(definition.schema instanceof z.ZodObject)) return undefined;
  const publicFields = new Set(definition.publicFields ?? []);
  const secret: Record<string, unknown> = {};
  const canaries: string[] = [];
  for (const [field, schema] of Object.entries(definition.schema.shape as Record<string, z.ZodType>)) {
    const optional = schema.safeParse(undefined).success;
    const value = publicFields.has(field) ? `Pub-${field}` : canary(field);
    if (schema.safeParse(value).success) {
      secret[field] = value;
      if (!publicFields.has(field)) canaries.push(value);
    } else if (!optional) return undefined;
  }
  return definition.schema.safeParse(secret).success && canaries.length > 0
    ? { secret, canaries }
    : undefined;
}

const declaredTypes = credentialTypesOf(builtinConnectors);
/** The types http.request takes (the `http` type and every auth style): each is used by an http.request step. */
const httpTypes = new Set(credentialTypesOf([httpConnector]).map((definition) => definition.type));

/** How a connector's own credential type is used by a step (base URLs point at the echoing API). */
const CONNECTOR_STEPS: Record<string, (echo: string) => Node[]> = {
  slack: () => [{ id: 'post', uses: 'slack.postMessage', with: { channel: 'C0123ABC', text: 'hello' } }],
  github: () => [
    { id: 'issue', uses: 'github.createIssue', with: { owner: 'o', repo: 'r', title: 'hello' } },
  ],
  discord: () => [
    { id: 'send', uses: 'discord.sendMessage', with: { channelId: '123456789012345678', content: 'hello' } },
  ],
  llm: () => [{ id: 'ask', uses: 'llm.generateText', with: { prompt: 'hello' } }],
  telegram: () => [{ id: 'send', uses: 'telegram.sendMessage', with: { chatId: 1111111, text: 'hello' } }],
  jira: () => [{ id: 'issue', uses: 'jira.createIssue', with: { projectKey: 'SUP', summary: 'hello' } }],
  zendesk: () => [{ id: 'ticket', uses: 'zendesk.createTicket', with: { subject: 'hello', body: 'hello' } }],
  linear: () => [
    {
      id: 'issue',
      uses: 'linear.createIssue',
      with: { teamId: '9cfb482a-81e3-4154-b5b9-2c805e70a02d', title: 'hello' },
    },
  ],
  trello: () => [{ id: 'card', uses: 'trello.createCard', with: { listId: 'a'.repeat(24), name: 'hello' } }],
  asana: () => [
    { id: 'task', uses: 'asana.createTask', with: { name: 'hello', projectGid: '1204567890123456' } },
  ],
  todoist: () => [{ id: 'task', uses: 'todoist.createTask', with: { content: 'hello' } }],
  websearch: () => [{ id: 'search', uses: 'websearch.search', with: { query: 'hello' } }],
  salesforce: () => [{ id: 'leads', uses: 'salesforce.query', with: { soql: 'SELECT Id FROM Lead' } }],
  shopify: () => [{ id: 'order', uses: 'shopify.getOrder', with: { orderId: 450789469 } }],
  stripe: () => [{ id: 'customer', uses: 'stripe.createCustomer', with: { email: 'ana@example.com' } }],
  calendly: () => [{ id: 'meetings', uses: 'calendly.listScheduledEvents', with: {} }],
  whatsapp: () => [{ id: 'text', uses: 'whatsapp.sendText', with: { to: '14155550100', text: 'hello' } }],
  typeform: () => [{ id: 'responses', uses: 'typeform.listResponses', with: { formId: 'lT4Z3j' } }],
  twilio: () => [
    {
      id: 'sms',
      uses: 'twilio.sendMessage',
      with: { to: '+14155550100', from: '+14155550199', body: 'hello' },
    },
  ],
  openweathermap: () => [{ id: 'weather', uses: 'openweathermap.currentWeather', with: { city: 'Berlin' } }],
  wordpress: () => [{ id: 'post', uses: 'wordpress.createPost', with: { title: 'hello', content: 'hi' } }],
  x: () => [{ id: 'post', uses: 'x.createPost', with: { text: 'hello' } }],
  woocommerce: () => [{ id: 'order', uses: 'woocommerce.getOrder', with: { orderId: 1042 } }],
  supabase: () => [
    {
      id: 'insert',
      uses: 'supabase.insertRows',
      with: { table: 'leads', rows: [{ email: 'a@example.com' }] },
    },
  ],
  mcp: (echo) => [
    { id: 'tools', uses: 'mcp.listTools', with: { server: { transport: 'http', url: `${echo}/mcp` } } },
  ],
  smtp: () => [
    { id: 'mail', uses: 'email.send', with: { to: 'ana@example.com', subject: 'hello', text: 'hello' } },
  ],
  postgres: () => [{ id: 'query', uses: 'postgres.query', with: { sql: 'select 1' } }],
  mattermost: () => [
    {
      id: 'post',
      uses: 'mattermost.postMessage',
      with: { channel: 'abcdefghijklmnopqrstuvwxyz', message: 'hello' },
    },
  ],
  mysql: () => [{ id: 'query', uses: 'mysql.query', with: { sql: 'select 1' } }],
  redis: () => [{ id: 'get', uses: 'redis.get', with: { key: 'greeting' } }],
  s3: () => [{ id: 'list', uses: 's3.listObjects', with: { bucket: 'acme-invoices', prefix: 'in/' } }],
  dropbox: () => [{ id: 'list', uses: 'dropbox.listFolder', with: { path: '/Inbox' } }],
  // Fails on its data after the key was decoded: the key must not show up in the error or the self-healing turn.
  'hmac-key': () => [{ id: 'sign', uses: 'crypto.hmac', with: { data: 'zz', inputEncoding: 'hex' } }],
  airtable: () => [
    {
      id: 'rows',
      uses: 'airtable.createRecords',
      with: { baseId: 'appAAAAAAAAAAAAAA', table: 'Leads', records: [{ Name: 'hello' }] },
    },
  ],
  notion: () => [
    {
      id: 'page',
      uses: 'notion.createPage',
      with: { parentPageId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', title: 'hello' },
    },
  ],
  hubspot: () => [
    { id: 'contact', uses: 'hubspot.createContact', with: { properties: { email: 'ana@example.com' } } },
  ],
  pipedrive: () => [{ id: 'deal', uses: 'pipedrive.createDeal', with: { title: 'hello' } }],
};
/** Types no step takes, and why; they are still stored, listed, shown and tested. */
const STORED_ONLY: Record<string, string> = {
  imap: 'the email.received trigger polls with it; no step takes it',
};
/** Steps whose credential never reaches the wire here (the server refuses the connection first; an HMAC key signs locally). */
const NOT_ON_WIRE = new Set(['smtp', 'postgres', 'hmac-key', 'mysql', 'redis']);

function stepsOf(item: Case, echo: string): Node[] {
  if (httpTypes.has(item.type)) {
    // url-token needs its place in the path; the others ignore the placeholder-free URL.
    const base = `${echo}/api/${item.name}${item.type === 'url-token' ? '/bot{token}' : ''}`;
    return [
      { id: 'fetch', uses: 'http.request', with: { method: 'GET', url: `${base}/ok?page=2` } },
      {
        id: 'send',
        uses: 'http.request',
        with: { method: 'POST', url: `${base}/fail`, body: { note: 'x' } },
      },
    ];
  }
  return CONNECTOR_STEPS[item.type]?.(echo) ?? [];
}

/** The form a connect link's page shows: the fields of an object type, strings or space-separated lists. */
function pasteForm(definition: CredentialDefinition, secret: Record<string, unknown>) {
  if (!(definition.schema instanceof z.ZodObject)) return undefined;
  const shape = definition.schema.shape as Record<string, z.ZodType>;
  const form: Record<string, string> = {};
  for (const [field, value] of Object.entries(secret)) {
    if (!(field in shape)) return undefined;
    if (typeof value === 'string') form[field] = value;
    else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string' && !/\s/.test(entry)))
      form[field] = value.join(' ');
    else return undefined;
  }
  return { form, shape };
}

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

describe('canary sweep over every credential type and the connect link flow', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let echoServer: Server;
  let echo = '';
  let model: ScriptedModelServer;
  let worker: EngineWorker;
  const cases: Case[] = [];
  const restore: (() => void)[] = [];
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  /** What the echoing API and the token endpoints received: where the secrets are meant to go, never swept. */
  const received: Seen[] = [];
  /** Every token and code the fakes issued: canaries too. */
  const issued: string[] = [];
  /** Every API answer (status line, headers and body) and every connect page's HTML. */
  const answers: string[] = [];
  const pages: string[] = [];
  /** The connect links' tokens: in the link's URL by design, in no table, log or model request. */
  const linkTokens: string[] = [];
  const runIds = new Map<string, string>();
  /** Failed runs self-healing has handled, and who waits for one. */
  const healed = new Set<string>();
  const waiting = new Map<string, () => void>();
  const healedOnce = (runId: string) =>
    new Promise<void>((resolve) => {
      if (healed.has(runId)) resolve();
      else waiting.set(runId, resolve);
    });
  const challenges = new Map<string, string>();
  /** What else went to the token endpoints: PKCE verifiers and signed service-account assertions. */
  const assertions = () =>
    received.flatMap((seen) => {
      const form = new URLSearchParams(seen.body);
      return ['code_verifier', 'assertion'].flatMap((field) => form.get(field) ?? []);
    });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${app.url}${path}`, {
      method,
      redirect: 'manual',
      ...(body === undefined
        ? { headers: { authorization: jsonAuth.authorization } }
        : { headers: jsonAuth, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    answers.push(`${response.status} ${JSON.stringify([...response.headers])}\n${text}`);
    return { status: response.status, text };
  }

  async function page(url: string, form?: Record<string, string>) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      ...(form
        ? {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form).toString(),
          }
        : {}),
    });
    const html = await response.text();
    pages.push(`${response.status} ${JSON.stringify([...response.headers])}\n${html}`);
    return { status: response.status, html, location: response.headers.get('location') ?? '' };
  }

  async function createLink(name: string, body: Record<string, unknown>): Promise<string> {
    const created = await call('POST', `/api/credentials/${name}/connect`, body);
    expect(created.status, created.text).toBe(200);
    const url = z.object({ url: z.string() }).parse(JSON.parse(created.text)).url;
    linkTokens.push(new URL(url).pathname.split('/').at(-1) ?? '');
    return url;
  }

  /** Paste-form link: the form, a bad submit of canaries per field its schema refuses, one missing a field, then the good one. */
  async function connectByPaste(item: Case, form: Record<string, string>, shape: Record<string, z.ZodType>) {
    // A paste link takes no settings: refused, without repeating them.
    const settings = canary('link-settings');
    item.canaries.push(settings);
    const refused = await call('POST', `/api/credentials/${item.name}/connect`, {
      type: item.type,
      fields: { [Object.keys(shape)[0] ?? 'value']: settings },
    });
    expect(refused.status, refused.text).toBe(400);
    const url = await createLink(item.name, { type: item.type });
    const opened = await page(url);
    expect(opened.status, opened.html).toBe(200);
    const formToken = /name="form" value="([^"]+)"/.exec(opened.html)?.[1] ?? '';
    const bad: Record<string, string>[] = [];
    for (const [field, schema] of Object.entries(shape)) {
      const wrong = `${canary(`bad-${field}`)} <b>"x"</b>\u0000`;
      // As the page reads it: a list field is split at spaces.
      const inner =
        schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? schema.unwrap() : schema;
      if (schema.safeParse(inner instanceof z.ZodArray ? wrong.split(/\s+/) : wrong).success) continue;
      item.canaries.push(wrong);
      bad.push({ ...form, [field]: wrong });
    }
    const required = Object.keys(shape).find((field) => !shape[field]?.safeParse(undefined).success);
    if (required) {
      const stray = canary('stray');
      item.canaries.push(stray);
      const { [required]: _left, ...rest } = form;
      bad.push({ ...rest, stray });
    }
    for (const entries of bad) {
      const refused = await page(url, { ...entries, form: formToken });
      expect(refused.status, refused.html).toBe(400);
      expect(refused.html).toContain('role="alert"');
    }
    const saved = await page(url, { ...form, form: formToken });
    expect(saved.status, saved.html).toBe(200);
    expect(saved.html).toContain('Connected');
    expect((await page(url)).status).toBe(410);
  }

  /**
   * oauth2 link: to the provider's authorize page, back to /oauth/callback with a code, and the callback replayed.
   * Without settings it reconnects the stored credential with its own.
   */
  async function connectByOAuth2(item: Case, reconnect = false) {
    if (!reconnect) {
      // Settings that are not valid are refused, without repeating the client secret.
      const invalid = await call('POST', `/api/credentials/${item.name}/connect`, {
        type: 'oauth2',
        fields: { ...item.secret, tokenUrl: `not a url ${String(item.secret.clientSecret)}` },
      });
      expect(invalid.status, invalid.text).toBe(400);
    }
    const url = await createLink(item.name, {
      type: 'oauth2',
      ...(reconnect ? {} : { fields: item.secret }),
    });
    const toProvider = await page(url);
    expect(toProvider.status).toBe(302);
    const atProvider = await fetch(toProvider.location, { redirect: 'manual' });
    const callback = atProvider.headers.get('location') ?? '';
    expect(new URL(callback).pathname).toBe('/oauth/callback');
    const landed = await page(callback);
    expect(landed.status, landed.html).toBe(item.refused ? 502 : 200);
    expect(landed.html).toContain(item.refused ? 'Not connected' : 'Connected');
    expect((await page(callback)).status).toBe(400);
  }

  beforeAll(async () => {
    // The real process logger, at every level, into memory; the console too.
    const symbols = logger as unknown as Record<symbol, unknown>;
    const previousStream = symbols[pino.symbols.streamSym];
    const previousLevel = logger.level;
    symbols[pino.symbols.streamSym] = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    restore.push(() => {
      symbols[pino.symbols.streamSym] = previousStream;
      logger.level = previousLevel;
    });
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      };
      restore.push(() => {
        console[method] = original;
      });
    }

    const keys = await generateKeyPair('RS256', { extractable: true });
    const googlePrivateKey = await exportPKCS8(keys.privateKey);
    const googleKeyLines = googlePrivateKey
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('-----'));
    googleKeyLines.push(googleKeyLines.join(''));

    // The vendor side: an API that echoes every request (in headers and body), its token endpoints, its
    // authorize page, and the Slack, GitHub, Discord, LLM and MCP APIs (each refusing with the request echoed).
    const issue = (label: string) => {
      const token = plainCanary(label);
      issued.push(token);
      return token;
    };
    const tokenAnswer = async (seen: Seen): Promise<{ status: number; json: unknown }> => {
      const form = new URLSearchParams(seen.body);
      const echoed = `${seen.headers.authorization ?? ''} ${seen.body}`;
      if (seen.url.startsWith('/token-refuse'))
        return { status: 400, json: { error: `invalid_client ${echoed}`, error_description: echoed } };
      if (seen.url.startsWith('/token-revoked') && form.get('grant_type') === 'refresh_token')
        return { status: 400, json: { error: 'invalid_grant', error_description: echoed } };
      switch (form.get('grant_type')) {
        case 'client_credentials':
          return {
            status: 200,
            json: { access_token: issue('ccaccess'), expires_in: 3600, token_type: 'Bearer' },
          };
        case 'urn:ietf:params:oauth:grant-type:jwt-bearer':
          await jwtVerify(form.get('assertion') ?? '', keys.publicKey, { audience: `${echo}/token` });
          return {
            status: 200,
            json: { access_token: issue('ya29'), expires_in: 3599, token_type: 'Bearer' },
          };
        case 'authorization_code': {
          const verifier = form.get('code_verifier') ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (challenges.get(form.get('code') ?? '') !== challenge)
            return { status: 400, json: { error: 'invalid_grant' } };
          // Expiring within the renewal margin: the first step renews it at once.
          return {
            status: 200,
            json: { access_token: issue('o2access'), refresh_token: issue('o2refresh'), expires_in: 30 },
          };
        }
        case 'refresh_token':
          return {
            status: 200,
            json: { access_token: issue('o2renewed'), refresh_token: issue('o2rotated'), expires_in: 3600 },
          };
        default:
          return { status: 400, json: { error: 'unsupported_grant_type', error_description: echoed } };
      }
    };
    echoServer = createServer((request, response) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const seen: Seen = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(seen);
        const send = (status: number, json: unknown) =>
          response
            .writeHead(status, {
              'content-type': 'application/json',
              'x-echo-authorization': encodeURIComponent(String(seen.headers.authorization ?? '')),
              'x-echo-url': encodeURIComponent(seen.url),
            })
            .end(JSON.stringify(json));
        const url = new URL(seen.url, echo);
        if (url.pathname.startsWith('/token')) {
          const answer = await tokenAnswer(seen).catch(() => ({
            status: 400,
            json: { error: 'invalid_grant' },
          }));
          send(answer.status, answer.json);
          return;
        }
        if (url.pathname === '/authorize') {
          const code = issue('code');
          challenges.set(code, url.searchParams.get('code_challenge') ?? '');
          const back = new URL(url.searchParams.get('redirect_uri') ?? '');
          back.searchParams.set('code', code);
          back.searchParams.set('state', url.searchParams.get('state') ?? '');
          response.writeHead(302, { location: back.toString() }).end();
          return;
        }
        const echoed = { method: seen.method, url: seen.url, headers: seen.headers, body: seen.body };
        if (url.pathname.startsWith('/slack/'))
          return send(200, { ok: false, error: 'invalid_auth', echoed, decoded: seen.headers });
        if (url.pathname.endsWith('/ok')) return send(200, { ok: true, echoed });
        send(401, { error: 'unauthorized', message: 'Bad credentials', echoed });
      })();
    });
    await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
    echo = `http://127.0.0.1:${(echoServer.address() as AddressInfo).port}`;

    const fixture: Fixture = { echo, googlePrivateKey, googleKeyLines };
    for (const definition of declaredTypes) {
      const shaped = SHAPES[definition.type]?.(fixture) ?? [genericCase(definition)];
      shaped.forEach((shape, index) => {
        if (shape) cases.push({ name: `cnry-${definition.type}-${index}`, type: definition.type, ...shape });
      });
    }

    model = await startScriptedModelServer();
    // Each self-healing turn: explain_failure and get_run for the run it was told about, then a short answer.
    const heal = (request: ScriptRequest) => {
      const runId = /^Run (\S+) /.exec(request.lastUserText)?.[1] ?? '';
      return request.toolResults.length === 0
        ? {
            toolCalls: [
              { name: 'explain_failure', input: { runId } },
              { name: 'get_run', input: { runId } },
            ],
          }
        : { text: 'The API refused the credential.' };
    };
    model.setScript(Array.from({ length: 400 }, () => heal));

    db = await createTestDatabase({ poolSize: 12 });
    const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
    app = await startSignedApp(db, {
      ...env,
      VMESH_API_TOKEN: apiToken,
      // The sweep reads every credential type's records through the API: more than the default 600 a minute.
      VMESH_RATE_LIMIT_API: '100000',
      VMESH_MODEL: 'anthropic:claude-test',
      ANTHROPIC_API_KEY: 'sk-test',
      ANTHROPIC_BASE_URL: model.anthropicBaseUrl,
    });
    logger.level = 'trace';
    const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
    const engine = await createEngineServices(database, { env, connectors: builtinConnectors });
    Object.assign(engine.deps.connectorEnv.baseUrls, {
      slack: `${echo}/slack/api/`,
      github: `${echo}/github`,
      discord: `${echo}/discord`,
      telegram: `${echo}/telegram/bot{token}`,
      jira: `${echo}/jira`,
      zendesk: `${echo}/zendesk`,
      linear: `${echo}/linear`,
      trello: `${echo}/trello`,
      asana: `${echo}/asana`,
      todoist: `${echo}/todoist`,
      stripe: `${echo}/stripe`,
      shopify: `${echo}/shopify`,
      salesforce: `${echo}/salesforce`,
      websearch: `${echo}/websearch`,
      twilio: `${echo}/twilio`,
      typeform: `${echo}/typeform`,
      whatsapp: `${echo}/whatsapp`,
      calendly: `${echo}/calendly`,
      openweathermap: `${echo}/openweathermap`,
      wordpress: `${echo}/wordpress/wp-json/wp/v2`,
      x: `${echo}/x/2`,
      supabase: `${echo}/supabase`,
      woocommerce: `${echo}/woocommerce/wp-json/wc/v3`,
      s3: `${echo}/s3`,
      dropbox: `${echo}/dropbox`,
      'dropbox-content': `${echo}/dropbox-content`,
      email: 'smtp://127.0.0.1:1',
      airtable: `${echo}/airtable`,
      notion: `${echo}/notion`,
      hubspot: `${echo}/hubspot`,
      pipedrive: `${echo}/pipedrive`,
    });
    const selfHealing = createRunFailedTask(app.agent);
    worker = await engine.startWorker({
      concurrency: 4,
      tasks: {
        [RUN_FAILED_TASK]: async (payload) => {
          await selfHealing(payload);
          const { runId } = z.object({ runId: z.string() }).parse(payload);
          healed.add(runId);
          waiting.get(runId)?.();
        },
      },
    });
    // What `vmesh credentials set` does, for the secrets no connect page takes (a union type, nested values).
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: declaredTypes,
    });

    for (const item of cases) {
      const definition = declaredTypes.find((declared) => declared.type === item.type);
      const paste = definition && item.type !== 'oauth2' ? pasteForm(definition, item.secret) : undefined;
      if (item.type === 'oauth2') await connectByOAuth2(item);
      else if (paste) await connectByPaste(item, paste.form, paste.shape);
      else await store.set(item.name, item.type, item.secret);
    }

    for (const item of cases) {
      const nodes = stepsOf(item, echo);
      if (nodes.length === 0 || (item.type === 'oauth2' && item.refused)) continue;
      const document = {
        schemaVersion: 1,
        name: `Canary ${item.name}`,
        trigger: { type: 'manual' },
        nodes: nodes.map((node) => ({ ...node, credential: item.name, retry: { maxAttempts: 1 } })),
        edges: nodes.slice(1).map((node, index) => ({ from: nodes[index]?.id, to: node.id })),
      };
      const created = await call('POST', '/api/workflows', { document });
      expect(created.status, created.text).toBe(201);
      const { id } = z.object({ id: z.string() }).parse(JSON.parse(created.text));
      const started = await call('POST', `/api/workflows/${id}/runs`, {});
      expect(started.status, started.text).toBe(202);
      const { runId } = z.object({ runId: z.string() }).parse(JSON.parse(started.text));
      runIds.set(item.name, runId);
    }
    for (const runId of runIds.values()) {
      const view = await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
      expect(view.status, runId).toBe('failed');
    }
    await Promise.all([...runIds.values()].map(healedOnce));

    // A reconnect reads the stored app settings (and the client secret) back out of the credential.
    const reconnected = cases.find((item) => item.type === 'oauth2' && !item.refused);
    if (reconnected) await connectByOAuth2(reconnected, true);
  }, 240_000);

  afterAll(async () => {
    for (const undo of restore.reverse()) undo();
    await worker?.stop();
    await app?.stop();
    await model?.close();
    await new Promise((resolve) => echoServer?.close(resolve));
    await db?.drop();
  });

  it('every declared credential type has a valid canary case, and a step that uses it (or a reason why none)', () => {
    for (const definition of declaredTypes) {
      const mine = cases.filter((item) => item.type === definition.type);
      expect(mine.length, `no canary case for "${definition.type}": add one to SHAPES`).toBeGreaterThan(0);
      // An oauth2 link is given the app's settings; the provider's tokens complete the credential.
      const schema = definition.type === 'oauth2' ? OAuth2Config : definition.schema;
      for (const item of mine) expect(schema.safeParse(item.secret).success, item.name).toBe(true);
      const used = httpTypes.has(definition.type) || definition.type in CONNECTOR_STEPS;
      expect(
        used || definition.type in STORED_ONLY,
        `"${definition.type}": add a step to CONNECTOR_STEPS`,
      ).toBe(true);
    }
  });

  it('the sweep is not vacuous: the secrets reached the API, runs failed and self-healing showed them to the model', async () => {
    for (const item of cases) {
      if (!runIds.has(item.name) || NOT_ON_WIRE.has(item.type)) continue;
      // http.request calls name the credential in their path; some only reached their token endpoint.
      const wire = received
        .filter(
          (seen) =>
            !httpTypes.has(item.type) ||
            seen.url.includes(`/api/${item.name}/`) ||
            (item.tokenPath !== undefined && seen.url.startsWith(item.tokenPath)),
        )
        .map((seen) => `${seen.url}\n${JSON.stringify(seen.headers)}\n${seen.body}`)
        .join('\n');
      // What its type says goes on the wire, or the token fetched with it (google's key only ever signs).
      const definition = declaredTypes.find((declared) => declared.type === item.type);
      const parsed = definition?.schema.safeParse(item.secret);
      const declared = parsed?.success ? (definition?.wireSecrets?.(parsed.data) ?? []) : [];
      const sent = [...item.canaries, ...declared, ...issued, ...assertions()].some((secret) =>
        [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)].some(
          (form) => wire.includes(form),
        ),
      );
      expect(sent, `${item.name}: none of its secrets went on the wire`).toBe(true);
    }
    expect(issued.length).toBeGreaterThan(4);
    // A run that failed only because its credential must be reconnected waits for the reconnect: no model turn.
    const revoked = cases.filter((item) => item.tokenPath === '/token-revoked').map((item) => item.name);
    const told = model.requests.map((request) => request.rawBody).join('\n');
    const waiting = await db.sql`select run_id from credential_waits`;
    for (const [name, runId] of runIds) {
      if (revoked.includes(name))
        expect(
          waiting.map((row) => String(row.runId)),
          name,
        ).toContain(runId);
      else expect(told, name).toContain(runId);
    }
    const healed = runIds.size - revoked.length;
    // explain_failure and get_run answered with the run's data: the echoed requests, redacted.
    const tools = model.requests.flatMap((request) => request.normalized.toolResults);
    expect(tools.filter((result) => !result.isError).length).toBeGreaterThanOrEqual(healed * 2);
    expect(tools.filter((result) => result.content.includes('echoed')).length).toBeGreaterThan(healed);
    expect(tools.some((result) => result.content.includes('[REDACTED]'))).toBe(true);
    // The provider's refusal to renew marked that credential for a reconnect, with a (redacted) reason.
    const reconnect = await db.sql`select name from credentials where state = 'needs_reconnect'`;
    expect(reconnect.map((row) => String(row.name))).toEqual(revoked);
    const [failed] = await db.sql`select count(*)::int as n from runs where status = 'failed'`;
    expect(failed?.n).toBe(runIds.size);
    // Every credential and every link is sealed in a row the sweep reads (the ciphertext must not hold it either).
    const [sealed] = await db.sql`
      select (select count(*)::int from credentials) as credentials, (select count(*)::int from connect_links) as links`;
    expect(sealed?.credentials).toBe(
      cases.filter((item) => !(item.type === 'oauth2' && item.refused)).length,
    );
    expect(sealed?.links).toBe(linkTokens.length);
  });

  it('no form of any canary in any table, log line, API answer, model request or connect page', async () => {
    // The API's answers about everything the runs and links left.
    const workflowIds = (await db.sql`select id from workflows`).map((row) => String(row.id));
    const steps = await db.sql`select run_id, node_id from steps`;
    // Testing first: a refusal is stored as the credential's state reason, which the reads below show.
    for (const item of cases) await call('POST', `/api/credentials/${item.name}/test`, {});
    const urls = [
      '/api/runs',
      '/api/workflows',
      '/api/credentials',
      '/api/audit',
      '/api/audit/verify',
      ...[...runIds.values()].flatMap((id) => [`/api/runs/${id}`, `/api/runs/${id}/events`]),
      ...steps.map((row) => `/api/runs/${String(row.runId)}/steps/${String(row.nodeId)}`),
      ...workflowIds.flatMap((id) => [`/api/workflows/${id}`, `/api/workflows/${id}/versions/1`]),
      // The oauth2 link the token endpoint refused stored nothing.
      ...cases
        .filter((item) => !(item.type === 'oauth2' && item.refused))
        .map((item) => `/api/credentials/${item.name}`),
    ];
    for (const url of urls) {
      const answer = await call('GET', url);
      expect(answer.status, `${url}: ${answer.text.slice(0, 300)}`).toBe(200);
    }

    const { tables, rows } = await everyRowText(db.sql);
    for (const needed of [
      'credentials',
      'connect_links',
      'runs',
      'steps',
      'run_events',
      'conversation_messages',
    ])
      expect(tables).toContain(needed);
    expect(pages.some((html) => html.includes('role="alert"'))).toBe(true);

    const sources: Record<string, string> = {
      tables: rows.join('\n'),
      logs: logLines.join(''),
      console: consoleLines.join('\n'),
      api: answers.join('\n'),
      model: model.requests
        .map((request) => `${JSON.stringify(request.headers)}\n${request.rawBody}`)
        .join('\n'),
      pages: pages.join('\n'),
    };
    const sentForms = assertions();
    expect(sentForms.length).toBeGreaterThan(2);
    const everywhere = [...cases.flatMap((item) => item.canaries), ...issued, ...sentForms];
    const forms = (secrets: string[]) => secrets.map((secret) => ({ secret, forms: secretForms(secret) }));
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(sources)) {
      const secrets = where === 'api' || where === 'pages' ? everywhere : [...everywhere, ...linkTokens];
      for (const { secret, forms: each } of forms(secrets)) {
        for (const form of leakedForms(text, each)) {
          const at = text.indexOf(form);
          leaks.push(`${where}: ${secret} as ${form} in …${text.slice(Math.max(0, at - 120), at + 60)}…`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
