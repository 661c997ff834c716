import { connectorKit } from '../sdk/connector-kit.ts';
import type { EmailClient, SmtpCredential } from './client.ts';

/** Builders for the email connector's actions, bound to its credential and client. */
export const { action } = connectorKit<SmtpCredential, EmailClient>();
