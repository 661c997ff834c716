import { fileURLToPath } from 'node:url';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { send } from './actions/send.ts';
import { createEmailClient, type EmailClient, SmtpCredential } from './client.ts';
import { received } from './triggers/received.ts';

export const emailConnector = defineConnector<SmtpCredential, EmailClient>({
  id: 'email',
  version: '1.0.0',
  title: 'Email (SMTP, IMAP)',
  description:
    'Send email through any SMTP server (Gmail, Microsoft 365, SES, Mailgun, Postfix…), and start workflows on ' +
    'mail arriving in an IMAP mailbox.',
  credential: {
    type: 'smtp',
    schema: SmtpCredential,
    howToGet:
      'Give the SMTP settings of your mail provider as JSON: {"host":"smtp.example.com","port":587,"secure":false,' +
      '"user":"bot@example.com","pass":"app-password","from":"Bot <bot@example.com>"}. Gmail and Microsoft 365 need an app password.',
    // AUTH PLAIN sends base64("\0user\0pass"), AUTH LOGIN base64(user) and base64(pass).
    publicFields: ['host', 'port', 'secure', 'from'],
    wireSecrets: (credential: SmtpCredential) =>
      credential.user && credential.pass
        ? [
            `\u0000${credential.user}\u0000${credential.pass}`,
            ...basicAuthWireSecrets(credential.user, credential.pass),
          ]
        : [],
  },
  createClient: createEmailClient,
  actions: [send],
  triggers: [received],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
