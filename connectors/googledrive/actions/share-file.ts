import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DriveId } from '../client.ts';
import { rest } from '../kit.ts';

const PermissionBody = z.object({
  id: z.string(),
  type: z.string(),
  role: z.string(),
  emailAddress: z.string().optional(),
  domain: z.string().optional(),
});

export const ShareFileInput = z.strictObject({
  fileId: DriveId,
  role: z
    .enum(['reader', 'commenter', 'writer'])
    .default('reader')
    .describe('What they may do: reader (view, default), commenter, or writer (edit).'),
  type: z
    .enum(['user', 'group', 'domain', 'anyone'])
    .default('user')
    .describe(
      'Who: a user or group by e-mail (default user), everyone in a domain, or anyone with the link.',
    ),
  emailAddress: z
    .email()
    .optional()
    .describe('For user and group: the e-mail address, e.g. "ana@example.com".'),
  domain: z.string().min(3).max(253).optional().describe('For domain: the domain, e.g. "example.com".'),
  sendNotificationEmail: z
    .boolean()
    .default(true)
    .describe('For user and group: whether Google e-mails them a link (default true).'),
  message: z.string().max(4000).optional().describe('A note in that e-mail.'),
});

export const shareFile = rest.action({
  key: 'shareFile',
  title: 'Share a Google Drive file or folder',
  description:
    'Give a person, a group, a whole domain or anyone with the link access to a Google Drive file or folder, as viewer, commenter or editor.',
  effect: 'write',
  // Sharing with the same person again updates their one permission.
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Drive file', withValue.fileId, {
      with: withValue.emailAddress ?? withValue.domain ?? withValue.type,
      as: withValue.role,
    }),
  checkWith: (withValue) => {
    const type = withValue.type ?? 'user';
    if ((type === 'user' || type === 'group') && withValue.emailAddress === undefined)
      return [
        {
          code: 'E_PARAMS',
          field: '/emailAddress',
          message: 'Sharing with a user or group needs emailAddress.',
          hint: 'Give emailAddress, or type "anyone" for a link.',
        },
      ];
    if (type === 'domain' && withValue.domain === undefined)
      return [
        {
          code: 'E_PARAMS',
          field: '/domain',
          message: 'Sharing with a domain needs domain.',
          hint: 'Give domain, e.g. "example.com".',
        },
      ];
    return [];
  },
  input: ShareFileInput,
  output: z.object({
    permissionId: z.string().describe('The permission id (to change or remove it later).'),
    fileId: z.string().describe('The file shared.'),
    role: z.string().describe('The role given.'),
    type: z.string().describe('Who it was given to: user, group, domain or anyone.'),
    emailAddress: z.string().nullable().describe('The e-mail, for a user or group.'),
  }),
  http: {
    method: 'POST',
    path: '/drive/v3/files/{fileId}/permissions',
    query: (input) => ({
      fields: 'id,type,role,emailAddress,domain',
      supportsAllDrives: true,
      ...(input.type === 'user' || input.type === 'group'
        ? { sendNotificationEmail: input.sendNotificationEmail, emailMessage: input.message }
        : {}),
    }),
    json: (input) => ({
      role: input.role,
      type: input.type,
      ...(input.emailAddress ? { emailAddress: input.emailAddress } : {}),
      ...(input.domain ? { domain: input.domain } : {}),
    }),
  },
  project: (response, input) => {
    const body = PermissionBody.parse(response.body);
    return {
      permissionId: body.id,
      fileId: input.fileId,
      role: body.role,
      type: body.type,
      emailAddress: body.emailAddress ?? null,
    };
  },
});
