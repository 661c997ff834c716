import { type BoundAuth, bindAuth } from '../sdk/auth/auth-style.ts';
import { GoogleServiceAccount, googleServiceAccountStyle } from '../sdk/auth/google-service-account.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { CredentialDefinition } from '../sdk/define.ts';

/** What a Google connector needs to know about itself to explain its credential. */
export type GoogleProduct = {
  /** The connector id (`googlesheets`). */
  connector: string;
  /** The API in Google's words ("Google Sheets API"), as it is named in the Cloud console's library. */
  apiName: string;
  /** The OAuth scopes the connector's actions need, narrowest that works first. */
  scopes: readonly string[];
  /** Broader scopes that also do (the whole of Drive covers a spreadsheet). */
  acceptedScopes?: readonly string[];
  /** What a person shares with a service account ("the spreadsheet"). */
  shared: string;
};

/**
 * A Google credential as the client uses it: an oauth2 credential connected with the `google` preset (a person's
 * account), or a service-account key (a robot that sees only what is shared with it).
 */
export type GoogleAuth =
  | { kind: 'oauth2'; credential: OAuth2Credential; bound: BoundAuth }
  | { kind: 'service-account'; credential: GoogleServiceAccount; bound: BoundAuth };

const GOOGLE_TOKEN_HOSTS = new Set(['oauth2.googleapis.com', 'accounts.google.com', 'www.googleapis.com']);

function credentialError(message: string, product: GoogleProduct): ConnectorError {
  return new ConnectorError({
    code: 'E_CREDENTIAL',
    message: `${product.connector}: ${message}`,
    retryable: false,
    hint: connectHint(product),
  });
}

/** How to connect a person's Google account with the scopes this connector needs. */
export function connectHint(product: GoogleProduct, name = 'NAME'): string {
  return `Connect a Google account: \`vmesh credentials connect ${name} --type oauth2 --provider google --scopes "${product.scopes.join(' ')}"\` (or store a service-account key with \`vmesh credentials set ${name} --type google-service-account\`, "scopes": ${JSON.stringify(product.scopes)}).`;
}

/**
 * The credential as the runtime hands it over: parsed by its type's schema for a step, the stored secret as it is for
 * a poll. An oauth2 credential must come from Google (the `google` preset or Google's token endpoint), so a token of
 * another provider is never sent to Google.
 */
export function googleAuthOf(raw: unknown, product: GoogleProduct): GoogleAuth {
  const oauth = OAuth2Credential.safeParse(raw);
  if (oauth.success) {
    const tokenHost = URL.parse(oauth.data.tokenUrl)?.hostname ?? '';
    if (oauth.data.provider !== 'google' && !GOOGLE_TOKEN_HOSTS.has(tokenHost)) {
      throw credentialError(
        `the oauth2 credential was connected with ${oauth.data.provider ? `the "${oauth.data.provider}" provider` : tokenHost}, not with Google; its token is not sent to Google.`,
        product,
      );
    }
    return { kind: 'oauth2', credential: oauth.data, bound: bindAuth(oauth2Style, oauth.data) };
  }
  const robot = GoogleServiceAccount.safeParse(raw);
  if (robot.success) {
    return {
      kind: 'service-account',
      credential: robot.data,
      bound: bindAuth(googleServiceAccountStyle, robot.data),
    };
  }
  throw credentialError(
    'the credential is neither an oauth2 credential connected with Google nor a service-account key.',
    product,
  );
}

/**
 * The connector's credential: `oauth2` (connected with the `google` preset), or `google-service-account` as the
 * alternative. Both are the SDK's own auth styles (same schema, wire secrets and public fields), with this
 * connector's scopes in the instructions.
 */
export function googleCredentialDefinition(product: GoogleProduct): CredentialDefinition {
  const scopes = product.scopes.join(' ');
  return {
    ...oauth2Style,
    howToGet: `Connect a Google account with a link: \`vmesh credentials connect NAME --type oauth2 --provider google --scopes "${scopes}"\` (the installation's Google app from VMESH_OAUTH_GOOGLE_CLIENT_ID/_CLIENT_SECRET, with the ${product.apiName} enabled in its Cloud project), open the link and allow access. Or use a service account: \`vmesh credentials set NAME --type google-service-account\` with its JSON key file plus "scopes": ${JSON.stringify(product.scopes)}, and share ${product.shared} with the service account's e-mail.`,
    alternatives: [
      {
        ...googleServiceAccountStyle,
        howToGet: `Google Cloud console → IAM & Admin → Service accounts → the account → Keys → Add key → JSON; enable the ${product.apiName} in that project; store the key file with "scopes": ${JSON.stringify(product.scopes)} added (\`vmesh credentials set NAME --type google-service-account\`), and share ${product.shared} with the service account's client_email.`,
      },
    ],
  };
}
