import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { z } from 'zod';
import { MethodNotAllowedError, NotFoundError } from '../errors.ts';
import { logger } from '../log.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import {
  errorResponse,
  type HttpResult,
  isStream,
  type ResponseSink,
  type RouteResult,
} from './response.ts';

/** HTTP methods Muse routes. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A parsed request, as a route handler sees it. */
export interface HttpRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The raw path, e.g. `/customers/c-1`. */
  path: string;
  /** Values of the `{name}` segments of the route's path template, URL-decoded. */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The decoded body bytes (empty when there is none). */
  body: Buffer;
  /** The Lambda request id, for logs and error bodies. */
  requestId: string;
  /** The original function-URL event. */
  event: LambdaFunctionURLEvent;
}

/**
 * A route's contract for the OpenAPI document (`lib/http/openapi.ts`): the
 * same zod schemas the handler validates with, so the two cannot drift.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** The JSON body's schema. */
  body?: z.ZodType;
  /** Schemas of the path template's `{name}` segments. */
  params?: Record<string, z.ZodType>;
  /** Query parameters and what they do. */
  query?: Record<string, { schema: z.ZodType; description: string }>;
  /** Success statuses and what they mean. */
  responses: Record<number, string>;
  /** Media types of success bodies (default `application/json`). */
  produces?: string[];
}

/** One route: a method and a path template such as `/customers/{customerId}`. */
export interface Route {
  method: Method;
  path: string;
  handle: (request: HttpRequest) => Promise<RouteResult>;
  doc?: RouteDoc;
}

/** What a route table exposes to the local bridge and the API description. */
export interface RouteSpec {
  method: Method;
  path: string;
  doc?: RouteDoc;
}

/** A Lambda function-URL handler. */
export type UrlHandler = (event: LambdaFunctionURLEvent, context?: Context) => Promise<HttpResult>;

/** A function-URL handler that writes its response to a sink as it is produced. */
export type StreamingUrlHandler = (
  event: LambdaFunctionURLEvent,
  sink: ResponseSink,
  context?: Context,
) => Promise<void>;

/** What {@link defineApi} builds. */
export interface Api {
  /** Buffered handler (a streamed result is collected into one body). */
  handler: UrlHandler;
  /** Streaming handler, for a function URL in `RESPONSE_STREAM` invoke mode. */
  streamHandler: StreamingUrlHandler;
  routes: RouteSpec[];
}

/** The outcome of matching a method and path against a route table. */
export interface RouteMatch<R> {
  /** The route for this method and path, if any. */
  route?: R;
  /** Methods that the path supports (for a 405's `allow` header). */
  allowed: Method[];
  /** Decoded values of the path template's `{name}` segments. */
  params: Record<string, string>;
}

function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/**
 * Compiles a route table once and returns a matcher for method and path.
 * Used by {@link defineApi} and by the local HTTP bridge, so both route alike.
 */
export function routeMatcher<R extends RouteSpec>(
  routes: readonly R[],
): (method: string, path: string) => RouteMatch<R> {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  return (method, path) => {
    const allowed: Method[] = [];
    let found: RouteMatch<R> | undefined;
    for (const { route, pattern, names } of compiled) {
      const m = pattern.exec(path);
      if (!m) continue;
      allowed.push(route.method);
      if (!found && route.method === method.toUpperCase()) {
        const params: Record<string, string> = {};
        names.forEach((name, i) => {
          params[name] = safeDecode(m[i + 1] ?? '');
        });
        found = { route, allowed, params };
      }
    }
    return found ?? { allowed, params: {} };
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function lowerCaseHeaders(headers: LambdaFunctionURLEvent['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/**
 * One request's metrics (dimension `route`, e.g. `POST /generate`):
 * `Requests`, `Latency` (ms), `ClientErrors` (4xx) or `ServerErrors` (5xx),
 * plus the cold-start metric once per container; and one structured log line.
 * A streamed body's latency is the time to its first byte.
 */
function observeRequest(method: string, route: string, status: number, ms: number): void {
  const m = metrics();
  m.captureColdStartMetric();
  m.addDimension('route', `${method} ${route}`);
  m.addMetric('Requests', MetricUnit.Count, 1);
  m.addMetric('Latency', MetricUnit.Milliseconds, ms);
  if (status >= 500) m.addMetric('ServerErrors', MetricUnit.Count, 1);
  else if (status >= 400) m.addMetric('ClientErrors', MetricUnit.Count, 1);
  logger.info('request', { method, route, status, durationMs: Math.round(ms) });
}

/**
 * Builds a function-URL handler from a route table. Unknown paths become 404,
 * known paths with another method 405, and every thrown error goes through
 * the one error mapper.
 *
 * @example
 * ```ts
 * export const api = defineApi([{ method: 'GET', path: '/health', handle: async () => json(200, {}) }]);
 * export const handler = api.handler;
 * ```
 */
export function defineApi(routes: Route[]): Api {
  const specs = routes.map(({ method, path, doc }) => ({ method, path, ...(doc ? { doc } : {}) }));
  const match = routeMatcher(routes);
  const dispatch = async (
    event: LambdaFunctionURLEvent,
    context?: Context,
  ): Promise<RouteResult & { requestId: string }> => {
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
    const started = performance.now();
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    let routePath = 'unmatched';
    if (context) logger.addContext(context);
    const finish = <T extends RouteResult>(result: T): T & { requestId: string } => {
      observeRequest(method, routePath, result.statusCode ?? 200, performance.now() - started);
      return { ...result, requestId };
    };
    try {
      const path = event.rawPath;
      const { route, allowed, params } = match(method, path);
      if (!route) {
        if (allowed.length > 0) throw new MethodNotAllowedError(method, path, allowed);
        throw new NotFoundError(
          `No route for ${method} ${path}. Available: ${specs.map((r) => `${r.method} ${r.path}`).join(', ')}.`,
        );
      }
      const body = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
      routePath = route.path;
      const result = await route.handle({
        method,
        path,
        params,
        query: new URLSearchParams(event.rawQueryString ?? ''),
        headers: lowerCaseHeaders(event.headers),
        body,
        requestId,
        event,
      });
      return finish(result);
    } catch (error) {
      return finish(errorResponse(error, requestId));
    }
  };
  const handler: UrlHandler = async (event, context) => {
    const { requestId, ...result } = await dispatch(event, context);
    if (!isStream(result)) {
      metrics().publishStoredMetrics();
      return result;
    }
    let body = '';
    try {
      for await (const chunk of result.stream) body += chunk;
    } catch (error) {
      body += `${errorResponse(error, requestId).body}\n`;
    }
    metrics().publishStoredMetrics();
    return { statusCode: result.statusCode, headers: result.headers, body };
  };
  const streamHandler: StreamingUrlHandler = async (event, sink, context) => {
    const { requestId, ...result } = await dispatch(event, context);
    sink.start(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    if (!isStream(result)) {
      if (result.body) sink.write(result.body);
    } else {
      try {
        for await (const chunk of result.stream) sink.write(chunk);
      } catch (error) {
        // Headers are gone: the error travels as the stream's last line.
        sink.write(`${errorResponse(error, requestId).body}\n`);
      }
    }
    sink.end();
    metrics().publishStoredMetrics();
  };
  return { handler, streamHandler, routes: specs };
}
