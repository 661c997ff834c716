import { z } from 'zod';
import { err, ok, type Result } from '../../lib/index.ts';
import { HTTP_CREDENTIAL_HOW_TO, httpCredentialDefinition } from '../http/credential.ts';
import type { BoundAuth } from '../sdk/auth/index.ts';
import { type ConnectorDefinition, defineConnector } from '../sdk/define.ts';
import type { BodyBinding, ImportedOperation, ParameterBinding } from './imported-operation.ts';
import {
  HTTP_METHODS,
  type HttpMethod,
  OpenApiDocument,
  type OpenApiOperation,
  OpenApiParameter,
  OpenApiRequestBody,
} from './openapi-document.ts';
import { createOpenApiClient, createOperationAction, type OpenApiClient } from './operation-action.ts';
import { operationMarkdown, parameterLines } from './operation-doc.ts';
import { toZodSchema } from './schema-to-zod.ts';

/** Connector ids: as for built-in connectors. */
export const CONNECTOR_NAME = /^[a-z][a-z0-9_]{0,31}$/;

export type ImportIssue = { path: string; message: string; hint?: string };

/** What is stored in the database and re-imported at start. */
/** One imported OpenAPI operation, as the importer knows it (the importer feeds these; see `openApiDocSources`). */
export type OpenApiOperationDoc = {
  /** The action key, e.g. the operationId `getPetById`. */
  key: string;
  method: string;
  path: string;
  summary?: string;
  description?: string;
  /** Parameter lines, e.g. from describeParameters(zodInput), or `name (in): description`. */
  parameters?: string[];
  tags?: string[];
};

export type StoredOpenApiConnector = { name: string; spec: unknown; baseUrl?: string };

export type ImportedOpenApiConnector = {
  connector: ConnectorDefinition<BoundAuth, OpenApiClient>;
  operations: ImportedOperation[];
  /** Per-operation docs for the retrieval index (`openApiDocSources`). */
  docs: OpenApiOperationDoc[];
  /** The whole doc.md-like text: an overview and one `## <key>` section per operation. */
  markdown: string;
  baseUrl: string;
  /** Operations or parts that were skipped or simplified. */
  warnings: string[];
  stored: StoredOpenApiConnector;
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Resolves a local `#/…` JSON pointer inside the spec (following up to 5 chained refs). */
function resolveRef(spec: JsonObject, value: unknown): unknown {
  let current = value;
  for (let depth = 0; depth < 5 && isObject(current) && typeof current.$ref === 'string'; depth++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) return undefined;
    let target: unknown = spec;
    for (const raw of ref.slice(2).split('/')) {
      const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
      target = isObject(target) ? target[part] : undefined;
    }
    current = target;
  }
  return current;
}

const words = (text: string): string[] => text.split(/[^A-Za-z0-9]+/).filter(Boolean);

function camel(parts: string[]): string {
  const joined = parts
    .map((part, index) =>
      index === 0
        ? part.charAt(0).toLowerCase() + part.slice(1)
        : part.charAt(0).toUpperCase() + part.slice(1),
    )
    .join('');
  const key = /^[a-z]/.test(joined) ? joined : `op${joined.charAt(0).toUpperCase()}${joined.slice(1)}`;
  return key.slice(0, 48);
}

/** An action key from the operationId, else from method and path: GET /users/{id}/orders → getUsersByIdOrders. */
export function operationKey(method: HttpMethod, path: string, operationId: string | undefined): string {
  if (operationId && words(operationId).length > 0) return camel(words(operationId));
  const segments = path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => {
      const variable = /^\{(.+)\}$/.exec(segment)?.[1];
      return variable ? ['by', ...words(variable)] : words(segment);
    });
  return camel([method, ...segments]);
}

function effectOf(method: HttpMethod): { effect: 'read' | 'write'; idempotent: boolean } {
  if (method === 'get' || method === 'head' || method === 'options' || method === 'trace') {
    return { effect: 'read', idempotent: true };
  }
  return { effect: 'write', idempotent: method === 'put' || method === 'delete' };
}

function pickMedia(content: Record<string, { schema?: JsonObject; example?: unknown }>):
  | {
      mediaType: string;
      kind: BodyBinding['kind'];
      schema: JsonObject | undefined;
      example: unknown;
    }
  | undefined {
  const types = Object.keys(content);
  const json = types.find((type) => /^application\/(.+\+)?json\b/i.test(type));
  const form = types.find((type) => /^application\/x-www-form-urlencoded\b/i.test(type));
  const text = types.find((type) => /^text\//i.test(type) || /octet-stream/i.test(type));
  const mediaType = json ?? form ?? text;
  if (!mediaType) return undefined;
  const entry = content[mediaType];
  return {
    mediaType,
    kind: json ? 'json' : form ? 'form' : 'text',
    schema: entry?.schema,
    example: entry?.example,
  };
}

function resolveBaseUrl(
  document: OpenApiDocument,
  override: string | undefined,
): Result<string, ImportIssue> {
  const candidate = override ?? document.servers?.[0]?.url;
  if (!candidate) {
    return err({
      path: '/servers',
      message: 'The spec names no server, so there is no base URL to call.',
      hint: 'Pass --base-url https://api.example.com (the URL the paths are relative to).',
    });
  }
  let url = candidate;
  for (const [name, variable] of Object.entries(document.servers?.[0]?.variables ?? {})) {
    url = url.replaceAll(`{${name}}`, variable.default);
  }
  if (!/^https?:\/\//i.test(url)) {
    return err({
      path: override ? '/baseUrl' : '/servers/0/url',
      message: `The base URL "${url}" is not an absolute http(s) URL${override ? '' : ' (the spec’s server is relative to where it is hosted)'}.`,
      hint: 'Pass --base-url with the absolute URL, e.g. https://petstore3.swagger.io/api/v3.',
    });
  }
  try {
    new URL(url);
  } catch {
    return err({
      path: '/servers/0/url',
      message: `The base URL "${url}" does not parse.`,
      hint: 'Pass --base-url.',
    });
  }
  return ok(url.replace(/\/+$/, ''));
}

const setCommand = (type: string, fields: string) =>
  `\`vmesh credentials set NAME --type ${type}\` with ${fields}`;

/** The auth style (and the fields to store) for one of the spec's `securitySchemes`. */
export function securitySchemeStyle(name: string, raw: unknown): string {
  if (!isObject(raw)) return `${name}: not described`;
  const keyName = JSON.stringify(String(raw.name ?? ''));
  if (raw.type === 'apiKey' && raw.in === 'header')
    return `${name}: ${setCommand('api-key-header', `{"name":${keyName},"value":"…"}`)}`;
  if (raw.type === 'apiKey' && raw.in === 'query')
    return `${name}: ${setCommand('api-key-query', `{"name":${keyName},"value":"…"}`)}`;
  if (raw.type === 'apiKey' && raw.in === 'cookie')
    return `${name}: ${setCommand('api-key-header', `{"name":"Cookie","value":"${String(raw.name)}=…"}`)}`;
  if (raw.type === 'http' && String(raw.scheme).toLowerCase() === 'basic')
    return `${name}: ${setCommand('basic', '{"username":"…","password":"…"}')}`;
  if (raw.type === 'http' && String(raw.scheme).toLowerCase() === 'bearer')
    return `${name}: ${setCommand('bearer', 'the token on stdin')}`;
  const clientCredentials = isObject(raw.flows) ? raw.flows.clientCredentials : undefined;
  if (raw.type === 'oauth2' && isObject(clientCredentials)) {
    const scopes = isObject(clientCredentials.scopes) ? Object.keys(clientCredentials.scopes) : [];
    return `${name}: ${setCommand(
      'oauth2-client-credentials',
      `{"tokenUrl":${JSON.stringify(String(clientCredentials.tokenUrl ?? '…'))},"clientId":"…","clientSecret":"…","scopes":${JSON.stringify(scopes)}}`,
    )}`;
  }
  if (raw.type === 'oauth2' || raw.type === 'openIdConnect')
    return `${name}: ${setCommand('bearer', 'an access token on stdin')}`;
  return `${name}: ${String(raw.type)}${raw.in ? ` in ${String(raw.in)}` : ''} is not supported; use another scheme if the API accepts one`;
}

function credentialHowTo(document: OpenApiDocument): string {
  const schemes = Object.entries(document.components?.securitySchemes ?? {});
  const lines = schemes.map(([name, raw]) => securitySchemeStyle(name, raw));
  return lines.length > 0
    ? `This API declares: ${lines.join('; ')}. ${HTTP_CREDENTIAL_HOW_TO}`
    : HTTP_CREDENTIAL_HOW_TO;
}

/**
 * Turns an OpenAPI 3 document into a connector whose actions are its operations: parameters and the
 * JSON (or form/text) body become a zod input, requests go through `ctx.env.fetch`, docs come from the
 * spec's summaries and descriptions. Fails with issues that say what to change.
 */
export function importOpenApi(
  spec: unknown,
  options: { name: string; baseUrl?: string },
): Result<ImportedOpenApiConnector, ImportIssue[]> {
  if (!CONNECTOR_NAME.test(options.name)) {
    return err([
      {
        path: '/name',
        message: `"${options.name}" is not a valid connector name.`,
        hint: 'Use 1–32 lower-case letters, digits and underscores, starting with a letter (e.g. petstore, acme_crm).',
      },
    ]);
  }
  if (isObject(spec) && typeof spec.swagger === 'string') {
    return err([
      {
        path: '/swagger',
        message: `This is a Swagger ${spec.swagger} document; only OpenAPI 3.x is supported.`,
        hint: 'Convert it first (e.g. with swagger2openapi or editor.swagger.io → Convert to OpenAPI 3).',
      },
    ]);
  }
  const parsed = OpenApiDocument.safeParse(spec);
  if (!parsed.success) {
    return err(
      parsed.error.issues.slice(0, 20).map((issue) => ({
        path: `/${issue.path.map(String).join('/')}`,
        message: issue.message,
        hint: 'The file must be an OpenAPI 3.x document (JSON or YAML) with openapi, info and paths.',
      })),
    );
  }
  const document = parsed.data;
  const root = spec as JsonObject;
  const baseUrl = resolveBaseUrl(document, options.baseUrl);
  if (!baseUrl.ok) return err([baseUrl.error]);
  const componentSchemas = (document.components?.schemas ?? {}) as JsonObject;

  const warnings: string[] = [];
  const operations: ImportedOperation[] = [];
  const inputs = new Map<string, z.ZodType>();
  const usedKeys = new Set<string>();

  for (const [path, item] of Object.entries(document.paths)) {
    const pathItem = item as Record<string, unknown>;
    for (const method of HTTP_METHODS) {
      const raw = pathItem[method];
      if (!raw) continue;
      const operation = raw as OpenApiOperation;
      const where = `${method.toUpperCase()} ${path}`;
      let key = operationKey(method, path, operation.operationId);
      for (let suffix = 2; usedKeys.has(key); suffix++) key = `${key.slice(0, 45)}${suffix}`;
      usedKeys.add(key);

      // Operation parameters override path-item parameters with the same name and location.
      const merged = new Map<string, OpenApiParameter>();
      for (const candidate of [
        ...((pathItem.parameters as unknown[]) ?? []),
        ...(operation.parameters ?? []),
      ]) {
        const parameter = OpenApiParameter.safeParse(resolveRef(root, candidate));
        if (!parameter.success) {
          warnings.push(`${where}: skipped a parameter that could not be resolved.`);
          continue;
        }
        merged.set(`${parameter.data.in}:${parameter.data.name}`, parameter.data);
      }

      const shape: Record<string, z.ZodType> = {};
      const parameters: ParameterBinding[] = [];
      for (const parameter of merged.values()) {
        if (parameter.in === 'cookie') {
          warnings.push(`${where}: cookie parameter ${parameter.name} is not supported and was left out.`);
          continue;
        }
        let keyName = parameter.name;
        if (keyName in shape || keyName === 'body') {
          keyName = `${parameter.in}${parameter.name.charAt(0).toUpperCase()}${parameter.name.slice(1)}`;
        }
        const rawSchema = parameter.schema ??
          Object.values(parameter.content ?? {})[0]?.schema ?? { type: 'string' };
        const converted = toZodSchema(rawSchema, componentSchemas);
        if (converted.error)
          warnings.push(`${where}: parameter ${parameter.name} accepts any value (${converted.error}).`);
        const required = parameter.in === 'path' || parameter.required === true;
        const description = (parameter.description ?? `${parameter.in} parameter ${parameter.name}`).trim();
        const field = converted.schema.describe(`${description} (${parameter.in})`);
        shape[keyName] = required ? field : field.optional();
        parameters.push({
          key: keyName,
          name: parameter.name,
          in: parameter.in,
          required,
          description: parameter.description,
          ...(parameter.style ? { style: parameter.style } : {}),
          ...(parameter.explode === undefined ? {} : { explode: parameter.explode }),
          jsonSchema: converted.jsonSchema,
          ...(parameter.example === undefined ? {} : { example: parameter.example }),
        });
      }

      let body: BodyBinding | undefined;
      if (operation.requestBody) {
        const requestBody = OpenApiRequestBody.safeParse(resolveRef(root, operation.requestBody));
        const media = requestBody.success ? pickMedia(requestBody.data.content) : undefined;
        if (!requestBody.success || !media) {
          warnings.push(`${where}: the request body has no JSON, form or text media type and was left out.`);
        } else {
          const bodyKey = 'body' in shape ? 'requestBody' : 'body';
          const converted = toZodSchema(media.schema ?? {}, componentSchemas);
          if (converted.error) warnings.push(`${where}: the body accepts any value (${converted.error}).`);
          const required = requestBody.data.required === true;
          const description = (requestBody.data.description ?? `The ${media.mediaType} request body.`).trim();
          const field = converted.schema.describe(description);
          shape[bodyKey] = required ? field : field.optional();
          body = {
            key: bodyKey,
            mediaType: media.mediaType,
            kind: media.kind,
            required,
            ...(requestBody.data.description ? { description: requestBody.data.description } : {}),
            jsonSchema: converted.jsonSchema,
            ...(media.example === undefined ? {} : { example: media.example }),
          };
        }
      }

      const errors = Object.entries(operation.responses ?? {})
        .filter(([status]) => /^[45]/.test(status))
        .map(([status, response]) => {
          const resolved = resolveRef(root, response);
          return { status, description: isObject(resolved) ? String(resolved.description ?? '') : '' };
        });

      const imported: ImportedOperation = {
        key,
        method,
        path,
        ...(operation.summary ? { summary: operation.summary.trim() } : {}),
        ...(operation.description ? { description: operation.description.trim() } : {}),
        tags: operation.tags ?? [],
        deprecated: operation.deprecated === true,
        ...effectOf(method),
        parameters,
        ...(body ? { body } : {}),
        errors,
      };
      operations.push(imported);
      inputs.set(key, z.strictObject(shape));
    }
  }

  if (operations.length === 0) {
    return err([
      { path: '/paths', message: 'The spec has no operations.', hint: 'Check that `paths` is filled in.' },
    ]);
  }

  const name = options.name;
  const resolvedBaseUrl = baseUrl.value;
  const title = document.info.title.trim() || name;
  const summaryText = (document.info.description ?? '').trim().split(/\n\s*\n/)[0] ?? '';
  const description = (summaryText || `${title} API, imported from its OpenAPI document.`).slice(0, 300);
  const connector = defineConnector<BoundAuth, OpenApiClient>({
    id: name,
    version: /^\d+\.\d+\.\d+$/.test(document.info.version) ? document.info.version : '1.0.0',
    title,
    description:
      description.length >= 20
        ? description
        : `${title}: ${description} (imported from OpenAPI)`.slice(0, 300),
    credential: httpCredentialDefinition(credentialHowTo(document)),
    createClient: (clientOptions) => createOpenApiClient(name, resolvedBaseUrl, clientOptions),
    actions: operations.map((operation) =>
      createOperationAction(name, operation, inputs.get(operation.key)!),
    ),
    triggers: [],
    docPath: '',
    origin: 'imported',
  });

  const markdown = [
    `# ${title} (\`${name}\`)`,
    `Imported from OpenAPI ${document.openapi} (${title} ${document.info.version}). Base URL: ${resolvedBaseUrl}.`,
    (document.info.description ?? '').trim(),
    `Credential (optional): ${credentialHowTo(document)}`,
    ...operations.map((operation) => operationMarkdown(name, operation)),
  ]
    .filter(Boolean)
    .join('\n\n');

  const docs: OpenApiOperationDoc[] = operations.map((operation) => ({
    key: operation.key,
    method: operation.method,
    path: operation.path,
    ...(operation.summary ? { summary: operation.summary } : {}),
    ...(operation.description ? { description: operation.description } : {}),
    parameters: parameterLines(operation),
    tags: operation.tags,
  }));

  return ok({
    connector,
    operations,
    docs,
    markdown,
    baseUrl: resolvedBaseUrl,
    warnings,
    stored: { name, spec, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) },
  });
}
