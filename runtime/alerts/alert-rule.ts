import { z } from 'zod';

/** What an alert rule watches. Each kind names its own thresholds; none carries data from runs. */
export const AlertCondition = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('failure_rate'),
    windowMinutes: z
      .number()
      .int()
      .min(5)
      .max(10_080)
      .default(60)
      .describe('Runs created in the last this many minutes count.'),
    threshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('Fires when failed ÷ finished runs in the window is at least this (0.5 = half of them).'),
    minRuns: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(3)
      .describe('Fires only when at least this many runs finished in the window.'),
  }),
  z.strictObject({
    kind: z.literal('no_success'),
    hours: z
      .number()
      .gt(0)
      .max(8760)
      .describe('Fires when an active workflow has had no successful run for this many hours.'),
  }),
  z.strictObject({ kind: z.literal('poll_stalled') }),
  z.strictObject({ kind: z.literal('credential_reconnect') }),
  z.strictObject({ kind: z.literal('output_shape') }),
]);
export type AlertCondition = z.infer<typeof AlertCondition>;
export type AlertKind = AlertCondition['kind'];

const ChannelId = z
  .string()
  .regex(/^[A-Za-z0-9]{1,40}$/, 'a channel id, e.g. C0123ABC (Slack) or 1234567890 (Discord)');

const OtherDestinations = [
  z.strictObject({ type: z.literal('slack'), channel: ChannelId }),
  z.strictObject({ type: z.literal('discord'), channel: ChannelId }),
  z.strictObject({
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .describe('Receives a JSON POST signed with the rule secret (x-vmesh-signature: sha256=HEX).'),
  }),
  z.strictObject({
    type: z.literal('email'),
    to: z.email().max(320),
    credential: z.string().min(1).max(200).describe('A stored email (SMTP) credential to send with.'),
  }),
] as const;

/**
 * Where an alert goes, as people give it (API, CLI). `conversation`: the chat the workflow came from (a global
 * rule: each subject's workflow's).
 */
export const AlertDestination = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('conversation') }),
  ...OtherDestinations,
]);
export type AlertDestination = z.infer<typeof AlertDestination>;

/**
 * As stored: a rule the agent made in a chat names that conversation (`conversationId`). Only the agent's tool
 * sets it, for the conversation it is talking in; people cannot point a rule at somebody else's chat.
 */
export const StoredAlertDestination = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('conversation'), conversationId: z.string().min(1).max(200).optional() }),
  ...OtherDestinations,
]);
export type StoredAlertDestination = z.infer<typeof StoredAlertDestination>;

/** Destinations outside the conversation: they send workflow facts to somewhere else. */
export const isExternalDestination = (destination: StoredAlertDestination): boolean =>
  destination.type !== 'conversation';

const RuleName = z.string().trim().min(1).max(200);
const WorkflowId = z.string().min(1).max(200);
const CooldownMinutes = z
  .number()
  .int()
  .min(1)
  .max(43_200)
  .describe('An open alert is sent again at most this often while it lasts.');

export const CreateAlertRule = z.strictObject({
  name: RuleName,
  workflowId: WorkflowId.nullable()
    .default(null)
    .describe('The workflow to watch; null watches every workflow.'),
  condition: AlertCondition,
  destination: AlertDestination,
  cooldownMinutes: CooldownMinutes.default(60),
  enabled: z.boolean().default(true),
});
export type CreateAlertRule = z.infer<typeof CreateAlertRule>;

export const UpdateAlertRule = z
  .strictObject({
    name: RuleName.optional(),
    condition: AlertCondition.optional(),
    destination: AlertDestination.optional(),
    cooldownMinutes: CooldownMinutes.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'change at least one field' });
export type UpdateAlertRule = z.infer<typeof UpdateAlertRule>;

/** A rule as the API, the CLI and the agent show it: never its secret. */
export type AlertRuleView = {
  id: string;
  name: string;
  workflowId: string | null;
  condition: AlertCondition;
  destination: StoredAlertDestination;
  cooldownMinutes: number;
  enabled: boolean;
  createdBy: string | null;
  createdAt: string;
  evaluatedAt: string | null;
  openAlerts: number;
};

export const ALERT_KIND_MEANING: Readonly<Record<AlertKind, string>> = {
  failure_rate: 'too many runs failed in the window',
  no_success: 'no successful run for too long',
  poll_stalled: 'a poll trigger stalled',
  credential_reconnect: 'a credential needs reconnecting',
  output_shape: "a step's output lost a field it used to have",
};
