import { z } from 'zod';
import { describeIssues } from '../invoke.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import type { CredentialDefinition } from '../sdk/define.ts';

export const ImapCredential = z.strictObject({
  host: z.string().min(1).max(253).describe('IMAP server host name, e.g. imap.gmail.com.'),
  port: z.number().int().min(1).max(65535).default(993).describe('IMAP port: 993 (TLS) or 143 (STARTTLS).'),
  secure: z
    .boolean()
    .default(true)
    .describe('true for implicit TLS (port 993); false to connect in clear text and upgrade with STARTTLS.'),
  requireTls: z
    .boolean()
    .default(true)
    .describe(
      'With `secure: false`: refuse to log in unless the server upgrades with STARTTLS. Set false only for a ' +
        'server on your own machine or network that has no TLS (the password then travels in clear text).',
    ),
  user: z.string().min(1).describe('IMAP user name, usually the email address.'),
  pass: z.string().min(1).describe('IMAP password or app password.'),
});
export type ImapCredential = z.infer<typeof ImapCredential>;

export const imapCredential: CredentialDefinition<typeof ImapCredential> = {
  type: 'imap',
  schema: ImapCredential,
  howToGet:
    'Give the IMAP settings of the mailbox as JSON: {"host":"imap.example.com","port":993,"secure":true,' +
    '"user":"bot@example.com","pass":"app-password"}. Gmail (imap.gmail.com) and Microsoft 365 (outlook.office365.com) ' +
    'need IMAP enabled and an app password.',
  publicFields: ['host', 'port', 'secure', 'requireTls'],
  // AUTHENTICATE PLAIN sends base64("\0user\0pass"); LOGIN sends the password as a quoted string.
  wireSecrets: (credential) => {
    const plain = `\u0000${credential.user}\u0000${credential.pass}`;
    return [
      plain,
      Buffer.from(plain).toString('base64'),
      ...basicAuthWireSecrets(credential.user, credential.pass),
    ];
  },
};

/** The trigger's credential as its schema reads it: the runtime hands over the stored secret unparsed. */
export function parseImapCredential(secret: unknown): ImapCredential {
  if (secret === undefined) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'email.received needs an IMAP credential, and the trigger names none.',
      retryable: false,
      hint: 'Store one with `vmesh credentials set NAME --type imap` and name it in `trigger.credential`.',
    });
  }
  const parsed = ImapCredential.safeParse(secret);
  if (!parsed.success) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: `The trigger's credential is not a valid imap credential: ${describeIssues(parsed.error.issues)}.`,
      retryable: false,
      hint: imapCredential.howToGet,
    });
  }
  return parsed.data;
}
