import { z } from 'zod';
import { Email, toEmail } from '../client.ts';
import { rest } from '../kit.ts';
import { MessageId } from './message-id.ts';

export const getEmail = rest.action({
  key: 'getEmail',
  title: 'Read a Gmail message',
  description:
    'Read one Gmail message by id: headers, plain-text and HTML body, labels and the list of attachments. Use after searchEmails or the newEmail trigger.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    messageId: MessageId.describe('The Gmail message id, e.g. "18c2f0a1b2c3d4e5" or "{{ trigger.id }}".'),
  }),
  output: Email,
  http: { method: 'GET', path: '/users/me/messages/{messageId}', query: () => ({ format: 'full' }) },
  project: (response) => toEmail(response.body),
});
