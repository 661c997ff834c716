import { z } from 'zod';
import { callSlack } from '../client.ts';
import { action } from '../kit.ts';

export const LookupUserByEmailInput = z.strictObject({
  email: z.email().describe('Email address of the Slack user.'),
});

export const LookupUserByEmailOutput = z.object({
  id: z.string().describe('User ID (U…); mention them with <@ID>.'),
  name: z.string().describe('Handle.'),
  realName: z.string().nullable().describe('Full name, when set.'),
  displayName: z.string().nullable().describe('Display name, when set.'),
  timezone: z.string().nullable().describe('IANA time zone, when known.'),
  isBot: z.boolean().describe('Whether the account is a bot.'),
});

const SlackUser = z.object({
  id: z.string(),
  name: z.string().default(''),
  real_name: z.string().optional(),
  tz: z.string().optional(),
  is_bot: z.boolean().optional(),
  profile: z.object({ display_name: z.string().optional(), real_name: z.string().optional() }).optional(),
});

export const lookupUserByEmail = action({
  key: 'lookupUserByEmail',
  title: 'Find a Slack user by email',
  description: 'Find the Slack user with an email address, e.g. to mention or message them.',
  effect: 'read',
  idempotent: true,
  input: LookupUserByEmailInput,
  output: LookupUserByEmailOutput,
  async run(input, ctx) {
    const found = await callSlack('users.lookupByEmail', () =>
      ctx.client.users.lookupByEmail({ email: input.email }),
    );
    const user = SlackUser.parse(found.user);
    return {
      id: user.id,
      name: user.name,
      realName: user.real_name ?? user.profile?.real_name ?? null,
      displayName: user.profile?.display_name || null,
      timezone: user.tz ?? null,
      isBot: user.is_bot ?? false,
    };
  },
});
