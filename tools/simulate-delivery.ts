import { Cron } from 'croner';
import { SIMULATED_FILE } from '../connectors/index.ts';
import { WEBHOOK_SCHEME_INFO, WebhookTriggerWith, type WorkflowDocument } from '../runtime/index.ts';
import type { CatalogPort } from './tool-context.ts';

/** The trigger data a dry run starts from, and what it stands for. */
export type SimulatedTrigger = {
  type: string;
  /** What the data stands for, in words: "a Stripe delivery to POST /hooks/<workflow id>". */
  simulated: string;
  /** The check a real delivery would pass first, skipped in a dry run (webhooks only). */
  verification?: string;
  data: unknown;
};

function nextSlot(cron: string | undefined, timezone: string | undefined): string {
  const fallback = '2030-01-07T09:00:00.000Z';
  if (!cron) return fallback;
  try {
    const job = new Cron(cron, { paused: true, ...(timezone ? { timezone } : {}) });
    const next = job.nextRun();
    job.stop();
    return next ? next.toISOString() : fallback;
  } catch {
    return fallback;
  }
}

function webhookDelivery(document: WorkflowDocument): SimulatedTrigger {
  const parsed = WebhookTriggerWith.safeParse(document.trigger.with ?? {});
  const options = parsed.success ? parsed.data : {};
  const scheme = options.verify ?? 'vmesh';
  const info = WEBHOOK_SCHEME_INFO[scheme];
  const how =
    scheme === 'hmac'
      ? `${options.header ?? 'the with.header'} (HMAC-${(options.algorithm ?? 'sha256').toUpperCase()} of the raw body)`
      : info.sends;
  const simulated = `a delivery from ${info.sender} to POST /hooks/<workflow id>${scheme === 'token' ? '/<hook secret>' : ''}`;
  // A document that declares uploads gets a multipart delivery: text fields, and one file reference per part.
  const uploads = options.files
    ? {
        headers: { ...info.sample.headers, 'content-type': 'multipart/form-data; boundary=simulated' },
        body: {
          fields: {},
          files: Object.fromEntries(options.files.map((name) => [name, { ...SIMULATED_FILE }])),
        },
      }
    : undefined;
  return {
    type: 'webhook',
    simulated: uploads ? `${simulated}, multipart with files ${options.files?.join(', ')}` : simulated,
    verification: `would verify with ${scheme}: ${how}; not checked in a dry run`,
    data: {
      method: 'POST',
      headers: uploads?.headers ?? { ...info.sample.headers },
      query: {},
      body: uploads?.body ?? structuredClone(info.sample.body),
    },
  };
}

/**
 * What a real start of the document's trigger would hand the run, made up without anything outside: a webhook
 * delivery shaped like its scheme's sender, a connector trigger's sample, a failed run, a schedule slot.
 */
export function simulateDelivery(document: WorkflowDocument, catalog: CatalogPort): SimulatedTrigger {
  const trigger = document.trigger;
  const entry = catalog.triggers().find((candidate) => candidate.type === trigger.type);
  if (trigger.type === 'webhook') return webhookDelivery(document);
  if (trigger.type === 'schedule') {
    const slot = nextSlot(trigger.cron, trigger.timezone);
    return {
      type: 'schedule',
      simulated: `the next slot of "${trigger.cron ?? ''}"${trigger.timezone ? ` in ${trigger.timezone}` : ' (UTC)'}`,
      data: { scheduledAt: slot, firedAt: slot },
    };
  }
  if (trigger.type === 'workflow.failed') {
    const watched = (trigger.with?.workflows as unknown[] | undefined)?.find((id) => typeof id === 'string');
    const sample = structuredClone(entry?.sample) as { workflow?: { id?: string } } | undefined;
    if (sample?.workflow && typeof watched === 'string') sample.workflow.id = watched;
    return {
      type: trigger.type,
      simulated: `a failed run of ${typeof watched === 'string' ? `workflow ${watched}` : 'a watched workflow'}`,
      data: sample ?? {},
    };
  }
  if (entry?.connectorId !== undefined) {
    const what =
      entry.delivery === 'poll'
        ? 'a new item found by a poll'
        : entry.delivery === 'event'
          ? 'an event'
          : 'a delivery';
    return {
      type: trigger.type,
      simulated: `${what} of ${entry.title} (the trigger's sample)`,
      ...(entry.delivery === 'webhook'
        ? {
            verification: `would verify the ${entry.connectorId} signature with the hook secret; not checked in a dry run`,
          }
        : {}),
      data: structuredClone(entry.sample) ?? {},
    };
  }
  return {
    type: trigger.type,
    simulated: `${entry?.title ?? trigger.type} trigger data (its sample)`,
    data: structuredClone(entry?.sample) ?? {},
  };
}
