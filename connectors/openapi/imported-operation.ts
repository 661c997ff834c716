import type { ActionEffect } from '../sdk/define.ts';
import type { HttpMethod } from './openapi-document.ts';

/** Where one `with` key goes in the HTTP request. */
export type ParameterBinding = {
  /** The key in the node's `with`. */
  key: string;
  /** The parameter's name on the wire. */
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  style?: string;
  explode?: boolean;
  /** JSON Schema (2020-12) of the value. */
  jsonSchema: Record<string, unknown>;
  example?: unknown;
};

export type BodyBinding = {
  key: string;
  mediaType: string;
  kind: 'json' | 'form' | 'text';
  required: boolean;
  description?: string;
  jsonSchema: Record<string, unknown>;
  example?: unknown;
};

/** One OpenAPI operation as an action: what the importer learned and the request it builds. */
export type ImportedOperation = {
  key: string;
  method: HttpMethod;
  path: string;
  summary?: string;
  description?: string;
  tags: string[];
  deprecated: boolean;
  effect: ActionEffect;
  idempotent: boolean;
  parameters: ParameterBinding[];
  body?: BodyBinding;
  /** Documented non-2xx answers, for the doc's "common errors". */
  errors: { status: string; description: string }[];
};
