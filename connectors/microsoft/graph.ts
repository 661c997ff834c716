import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { CredentialDefinition } from '../sdk/define.ts';
import type { RestApi } from '../sdk/rest/index.ts';

/** Microsoft Graph v1.0: Outlook mail and calendar, Teams. */
export const GRAPH_API_URL = 'https://graph.microsoft.com/v1.0';

export const GraphCredential = OAuth2Credential;
export type GraphCredential = z.output<typeof GraphCredential>;

export function connectCommand(scopes: readonly string[]): string {
  return `vmesh credentials connect NAME --type oauth2 --provider microsoft --scopes "openid profile offline_access User.Read ${scopes.join(' ')}"`;
}

/** A Graph connector takes the `oauth2` credential type connected with the `microsoft` provider. */
export function graphCredential(scopes: readonly string[], what: string): CredentialDefinition {
  return {
    ...oauth2Style,
    howToGet: `Connect a Microsoft 365 or Outlook.com account with a link: \`${connectCommand(scopes)}\` (the app from VMESH_OAUTH_MICROSOFT_CLIENT_ID/_CLIENT_SECRET, an Entra app registration with the delegated Graph permissions ${scopes.join(', ')} for ${what}), open the link and allow access.`,
  };
}

/** An oauth2 credential of another provider (Google, Slack) cannot call Graph: said before anything is sent. */
export function checkMicrosoftCredential(
  connector: string,
  credential: GraphCredential | undefined,
  scopes: readonly string[],
): void {
  if (credential?.provider === undefined || credential.provider === 'microsoft') return;
  throw new ConnectorError({
    code: 'E_CREDENTIAL',
    message: `${connector}: the oauth2 credential was connected with the "${credential.provider}" provider, not "microsoft".`,
    retryable: false,
    hint: `Connect a Microsoft account: \`${connectCommand(scopes)}\`, and name that credential in the node.`,
  });
}

/** Graph's error body: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
const GraphErrorBody = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    innerError: z.object({ 'request-id': z.string().optional() }).loose().optional(),
  }),
});

/** Graph codes that mean "the token is no good": only connecting again (or a renewal) helps. */
const AUTH_CODES = new Set(['InvalidAuthenticationToken', 'CompactToken.Expired', 'Unauthorized']);

/** The Graph API of one connector: its id (for env.baseUrls and messages), its hints and scopes. */
export function graphApi(
  connector: string,
  scopes: readonly string[],
  hints: Readonly<Partial<Record<number, string>>>,
): RestApi<GraphCredential> {
  const connect = connectCommand(scopes);
  return {
    connector,
    baseUrl: GRAPH_API_URL,
    auth: (credential) => bindAuth(oauth2Style, credential),
    vendorError(body) {
      const parsed = GraphErrorBody.safeParse(body);
      if (!parsed.success) return undefined;
      const { code, message, innerError } = parsed.data.error;
      const requestId = innerError?.['request-id'];
      const text = requestId ? `${message ?? code ?? 'error'} (request-id ${requestId})` : message;
      if (code && AUTH_CODES.has(code)) {
        return {
          message: text,
          vendorCode: code,
          hint: `Microsoft refused the access token (expired, revoked or for another resource): connect the credential again with \`${connect}\`.`,
        };
      }
      if (code === 'ErrorAccessDenied' || code === 'Forbidden' || code === 'Authorization_RequestDenied') {
        return {
          message: text,
          vendorCode: code,
          hint: `The account or the app lacks a permission (${scopes.join(', ')}): grant it in the app registration and connect again with \`${connect}\`.`,
        };
      }
      if (code === 'ApplicationThrottled' || code === 'TooManyRequests' || code === 'MailboxConcurrency') {
        return { message: text, vendorCode: code, retryable: true };
      }
      return { message: text, vendorCode: code };
    },
    hints: {
      401: `Microsoft refused the access token: connect the credential again with \`${connect}\`.`,
      403: `The account or the app lacks a permission (${scopes.join(', ')}): grant it and connect again with \`${connect}\`.`,
      429: 'Microsoft Graph is throttling this mailbox or app; the step is retried after Retry-After.',
      ...hints,
    },
  };
}

/** An address as Graph writes it: `{ emailAddress: { address, name } }`. */
export const GraphRecipient = z.object({
  emailAddress: z.object({ address: z.string().optional(), name: z.string().optional() }).loose(),
});
export type GraphRecipient = z.infer<typeof GraphRecipient>;

/** "Ana <ana@example.com>" as Graph prints it. */
export function recipientText(recipient: GraphRecipient | null | undefined): string {
  const { address, name } = recipient?.emailAddress ?? {};
  if (!address) return name ?? '';
  return name && name !== address ? `${name} <${address}>` : address;
}
