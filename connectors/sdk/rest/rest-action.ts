import { z } from 'zod';
import type { ActionContext, ActionDefinition } from '../define.ts';
import { type MultipartPart, multipartBody } from '../multipart.ts';
import { type CollectedPages, collectPages, type Pagination } from './pagination.ts';
import { fillPath, templateNames } from './path-template.ts';
import type { RestClient } from './rest-client.ts';
import type { QueryValue, RestRequest, RestResponse } from './rest-request.ts';

/** What a request mapping may use besides the input: stable per step, the same on every retry. */
export type RestCallContext = { idempotencyKey: string; attempt: number };

/**
 * One request as data: the method, a path template whose `{name}`s are input fields (each encoded as one
 * segment), and the query, body and headers mapped from the validated input.
 */
export type RestCall<Input> = {
  method: RestRequest['method'];
  path: string;
  query?(input: Input): Record<string, QueryValue>;
  json?(input: Input, ctx: RestCallContext): unknown;
  form?(input: Input, ctx: RestCallContext): Record<string, QueryValue>;
  headers?(input: Input, ctx: RestCallContext): Record<string, string | undefined>;
  /** A multipart/form-data body of fields and the run's files, streamed from the file store as it is sent. */
  multipart?(input: Input): MultipartPart[];
};

type ActionFields<Input extends z.ZodType, Output extends z.ZodType, Credential> = Omit<
  ActionDefinition<Input, Output, Credential, RestClient>,
  'run'
> & { http: RestCall<z.output<Input>> };

/** A single-request action: `project` turns the vendor's answer into the output schema's shape. */
export type RestActionDefinition<
  Input extends z.ZodType,
  Output extends z.ZodType,
  Credential,
> = ActionFields<Input, Output, Credential> & {
  project(response: RestResponse, input: z.output<Input>): z.input<Output>;
  /** Statuses that are answers, not failures (a lookup's 404 → `{ found: false }`). */
  answers?: Readonly<Partial<Record<number, (input: z.output<Input>) => z.input<Output>>>>;
};

/** A list action: the pages are walked by `paginate`, `project` gets every item collected. */
export type RestListActionDefinition<
  Input extends z.ZodType,
  Output extends z.ZodType,
  Credential,
> = ActionFields<Input, Output, Credential> & {
  paginate: Pagination<z.output<Input>>;
  project(collected: CollectedPages, input: z.output<Input>): z.input<Output>;
};

/** The filled request of `call` for one input. */
export function restRequestOf<Input>(call: RestCall<Input>, input: Input, ctx: RestCallContext): RestRequest {
  const values = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const json = call.json?.(input, ctx);
  const form = call.form?.(input, ctx);
  const query = call.query?.(input);
  const headers = call.headers?.(input, ctx);
  return {
    method: call.method,
    path: fillPath(call.path, values),
    ...(query ? { query } : {}),
    ...(json === undefined ? {} : { json }),
    ...(form ? { form } : {}),
    ...(headers ? { headers } : {}),
  };
}

/** A path placeholder that is no input field would fail every call: refuse the declaration instead. */
function checkPathNames(key: string, call: RestCall<unknown>, input: z.ZodType): void {
  const names = templateNames(call.path);
  if (call.json && call.form)
    throw new Error(`Action ${key}: a request has a JSON body or a form, not both.`);
  if (!(input instanceof z.ZodObject)) {
    if (names.length > 0) throw new Error(`Action ${key}: a path template needs an object input schema.`);
    return;
  }
  const fields = Object.keys(input.shape);
  for (const name of names) {
    if (!fields.includes(name)) {
      throw new Error(`Action ${key}: the path ${call.path} names "{${name}}", which is not an input field.`);
    }
  }
}

function callContext<Credential>(ctx: ActionContext<Credential, RestClient>): RestCallContext {
  return { idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt };
}

/** A declarative REST action (see RestActionDefinition); the runtime's ActionDefinition it stands for. */
export function restAction<Input extends z.ZodType, Output extends z.ZodType, Credential>(
  definition: RestActionDefinition<Input, Output, Credential>,
): ActionDefinition<Input, Output, Credential, RestClient> {
  const { http, project, answers, ...action } = definition;
  checkPathNames(definition.key, http as RestCall<unknown>, definition.input);
  return {
    ...action,
    async run(input, ctx) {
      const request = restRequestOf(http, input, callContext(ctx));
      if (http.multipart) request.stream = await multipartBody(ctx.files, http.multipart(input));
      try {
        return project(await ctx.client.send(request, ctx.signal), input);
      } catch (error) {
        const answer = answers?.[statusOf(error) ?? -1];
        if (answer) return answer(input);
        throw error;
      }
    },
  };
}

/** A declarative paginated REST action (see RestListActionDefinition). */
export function restListAction<Input extends z.ZodType, Output extends z.ZodType, Credential>(
  definition: RestListActionDefinition<Input, Output, Credential>,
): ActionDefinition<Input, Output, Credential, RestClient> {
  const { http, project, paginate, ...action } = definition;
  checkPathNames(definition.key, http as RestCall<unknown>, definition.input);
  return {
    ...action,
    async run(input, ctx) {
      const request = restRequestOf(http, input, callContext(ctx));
      return project(await collectPages(ctx.client, request, paginate, input, ctx.signal), input);
    },
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
