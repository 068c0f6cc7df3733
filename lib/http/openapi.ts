import { z } from 'zod';
import type { RouteSpec } from './api.ts';

/** Version of the API description (the package's). */
export const API_VERSION = '0.1.0';

/** The JSON error body every 4xx/5xx carries (`lib/http/response.ts`). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('machine-readable, e.g. validation_failed, not_found'),
    message: z.string().describe('what went wrong and what to do about it'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('per-field problems, dotted paths'),
    requestId: z.string().optional(),
  }),
});

const ERROR_STATUSES: Record<number, string> = {
  400: 'Invalid request: the message and `issues` say which field and why.',
  403: 'The request is not SigV4-signed by a principal allowed to invoke the URL (AWS only).',
  404: 'Nothing at this path, or the named resource does not exist.',
  405: 'The path exists; the method does not (see the `allow` header).',
  413: 'The body is larger than this route accepts.',
  415: 'Unsupported content type.',
  503: 'The model is not available yet (still loading, or failed to load: see the message).',
};

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a client sends. */
const schemaOf = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

/**
 * An OpenAPI 3.1 document of the function URLs, generated from the routes'
 * {@link RouteDoc}s: request bodies, path and query parameters come from the
 * zod schemas the handlers validate with (zod's own JSON Schema generator),
 * so the description cannot drift from the validation.
 *
 * @example
 * ```ts
 * const doc = openApiDocument([{ name: 'recommend', routes: recommendApi.routes }]);
 * ```
 */
export function openApiDocument(
  functions: ReadonlyArray<{ name: string; routes: readonly RouteSpec[] }>,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { name, routes } of functions) {
    for (const route of routes) {
      const doc = route.doc;
      if (!doc) continue;
      const parameters = [
        ...Object.entries(doc.params ?? {}).map(([param, schema]) => ({
          name: param,
          in: 'path',
          required: true,
          schema: schemaOf(schema),
        })),
        ...Object.entries(doc.query ?? {}).map(([param, q]) => ({
          name: param,
          in: 'query',
          required: false,
          description: q.description,
          schema: schemaOf(q.schema),
        })),
      ];
      const bodySchema = doc.body ? schemaOf(doc.body) : undefined;
      const produces = doc.produces ?? ['application/json'];
      const operations = paths[route.path] ?? {};
      paths[route.path] = operations;
      operations[route.method.toLowerCase()] = {
        operationId: `${name}_${route.method.toLowerCase()}_${route.path.replace(/[^a-zA-Z]+/g, '_').replace(/^_|_$/g, '')}`,
        tags: [name],
        summary: doc.summary,
        ...(doc.description ? { description: doc.description } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(bodySchema
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: bodySchema } },
              },
            }
          : {}),
        responses: {
          ...Object.fromEntries(
            Object.entries(doc.responses).map(([status, description]) => [
              status,
              {
                description,
                content: Object.fromEntries(produces.map((type) => [type, {}])),
              },
            ]),
          ),
          ...Object.fromEntries(
            Object.entries(ERROR_STATUSES).map(([status, description]) => [
              status,
              {
                description,
                content: {
                  'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } },
                },
              },
            ]),
          ),
        },
        security: [{ sigv4: [] }],
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Muse function URLs',
      version: API_VERSION,
      description:
        'Each function has its own Lambda function URL (AWS_IAM: sign with SigV4, service `lambda`); locally all are served by `npm start` on one port, unsigned. Every request and response field is camelCase (`maxNewTokens`, `topK`, `customerId`); enum values (kinds, event types, error codes) are snake_case strings.',
    },
    paths,
    components: {
      schemas: { ErrorBody: schemaOf(ErrorBody) },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 (service `lambda`); see `npm run invoke`.',
        },
      },
    },
  };
}
