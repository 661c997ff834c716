import { z } from 'zod';

/** A JSON object whose keys we read selectively (schemas, extensions and the rest pass through). */
const Json = z.record(z.string(), z.unknown());

export const OpenApiParameter = z.looseObject({
  name: z.string().min(1),
  in: z.enum(['path', 'query', 'header', 'cookie']),
  description: z.string().optional(),
  required: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  schema: Json.optional(),
  content: z.record(z.string(), z.looseObject({ schema: Json.optional() })).optional(),
  style: z.string().optional(),
  explode: z.boolean().optional(),
  example: z.unknown().optional(),
});
export type OpenApiParameter = z.infer<typeof OpenApiParameter>;

export const OpenApiRequestBody = z.looseObject({
  description: z.string().optional(),
  required: z.boolean().optional(),
  content: z.record(z.string(), z.looseObject({ schema: Json.optional(), example: z.unknown().optional() })),
});
export type OpenApiRequestBody = z.infer<typeof OpenApiRequestBody>;

const Reference = z.looseObject({ $ref: z.string() });

export const OpenApiOperation = z.looseObject({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  deprecated: z.boolean().optional(),
  parameters: z.array(z.union([Reference, OpenApiParameter])).optional(),
  requestBody: z.union([Reference, OpenApiRequestBody]).optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
});
export type OpenApiOperation = z.infer<typeof OpenApiOperation>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const OpenApiPathItem = z.looseObject({
  summary: z.string().optional(),
  description: z.string().optional(),
  parameters: z.array(z.union([Reference, OpenApiParameter])).optional(),
  ...Object.fromEntries(HTTP_METHODS.map((method) => [method, OpenApiOperation.optional()])),
});

export const OpenApiDocument = z.looseObject({
  openapi: z.string().regex(/^3\.\d+(\.\d+)?/, 'an OpenAPI 3.x version such as "3.0.3" or "3.1.0"'),
  info: z.looseObject({
    title: z.string(),
    version: z.string(),
    description: z.string().optional(),
  }),
  servers: z
    .array(
      z.looseObject({
        url: z.string(),
        description: z.string().optional(),
        variables: z.record(z.string(), z.looseObject({ default: z.string() })).optional(),
      }),
    )
    .optional(),
  paths: z.record(z.string(), OpenApiPathItem).default({}),
  components: z
    .looseObject({
      schemas: z.record(z.string(), z.unknown()).optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      requestBodies: z.record(z.string(), z.unknown()).optional(),
      securitySchemes: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;
