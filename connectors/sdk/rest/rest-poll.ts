import { z } from 'zod';
import type { PolledItem, PollTriggerDefinition, PollWatermark } from '../define.ts';
import { collectPages, type Pagination } from './pagination.ts';
import { type RestCall, restRequestOf } from './rest-action.ts';
import type { RestClient } from './rest-client.ts';
import type { QueryValue } from './rest-request.ts';

/** A declarative poll needs nothing between polls besides the runtime's watermark. */
const NoState = z.strictObject({});

/**
 * A poll trigger as data: the request that lists the newest items (the vendor's "created after" filter from the
 * watermark where it has one), how far to page, and how one raw item becomes `{ id, at, data }`. The runtime does
 * the rest (watermark, seen ids, first poll, backoff).
 */
export type RestPollDefinition<With extends z.ZodType, Data extends z.ZodType, Credential> = Omit<
  PollTriggerDefinition<With, Data, typeof NoState, Credential, RestClient>,
  'kind' | 'poll' | 'state'
> & {
  http: RestCall<z.output<With>>;
  /** Query parameters that ask only for items after the watermark (undefined on the first poll). */
  since?(after: PollWatermark | undefined, filters: z.output<With>): Record<string, QueryValue>;
  /** One page (default) or several; the newest items must come first or the cap may hide them. */
  paginate?: Pagination<z.output<With>>;
  /** The items of a one-page answer (without `paginate`). */
  items?(body: unknown): unknown[];
  /** One raw item as the runtime tracks it; undefined to leave it out (a filter the vendor cannot apply). */
  item(raw: unknown, filters: z.output<With>): PolledItem<z.output<Data>> | undefined;
};

export function restPollTrigger<With extends z.ZodType, Data extends z.ZodType, Credential>(
  definition: RestPollDefinition<With, Data, Credential>,
): PollTriggerDefinition<With, Data, typeof NoState, Credential, RestClient> {
  const { http, since, paginate, items, item, ...trigger } = definition;
  if (!paginate && !items) throw new Error(`Poll trigger ${definition.key} needs items() or paginate.`);
  return {
    ...trigger,
    kind: 'poll',
    state: NoState,
    async poll(ctx, filters, request) {
      const base = restRequestOf(http, filters, { idempotencyKey: `poll:${definition.key}`, attempt: 1 });
      const query = { ...(base.query ?? {}), ...(since?.(request.after, filters) ?? {}) };
      const listed = { ...base, query };
      const raw = paginate
        ? (await collectPages(ctx.client, listed, paginate, filters, ctx.signal)).items
        : (items?.((await ctx.client.send(listed, ctx.signal)).body) ?? []);
      return {
        items: raw.flatMap((entry) => {
          const polled = item(entry, filters);
          return polled ? [polled] : [];
        }),
      };
    },
  };
}
