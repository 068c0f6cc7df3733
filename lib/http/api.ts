import {
  HttpError,
  isHttpMethod,
  Router,
  streamify,
} from '@aws-lambda-powertools/event-handler/http';
import { metrics as metricsMiddleware } from '@aws-lambda-powertools/event-handler/http/middleware/metrics';
import type {
  HandlerResponse,
  Middleware,
  RequestContext,
} from '@aws-lambda-powertools/event-handler/types';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { z } from 'zod';
import { AppError, MethodNotAllowedError, NotFoundError, ValidationError } from '../errors.ts';
import { logger } from '../log.ts';
import { metrics } from '../metrics.ts';
import { errorResponse, type HttpResult, isStream, type RouteResult } from './response.ts';

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
  /** When the function times out (epoch ms, from the Lambda context); absent without a context. */
  deadline?: number;
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

/** A buffered Lambda function-URL handler. */
export type UrlHandler = (event: LambdaFunctionURLEvent, context?: Context) => Promise<HttpResult>;

/** What {@link defineApi} builds. */
export interface Api {
  /** The Powertools router the routes are registered on. */
  router: Router;
  /** Buffered handler (a streamed result is collected into one body). */
  handler: UrlHandler;
  /** Lambda handler for a `RESPONSE_STREAM` function URL (Powertools `streamify`). */
  streamHandler: ReturnType<typeof streamify>;
  routes: RouteSpec[];
}

/**
 * Muse's router: Powertools' `Router`, plus the one thing it does not do:
 * a path that exists with another method is a 405 with an `allow` header
 * (Powertools answers 404). The allowed methods come from the router's own
 * registry, so matching stays Powertools'.
 */
class MuseRouter extends Router {
  /** Methods registered for `path`, by asking the router's registry. */
  allowedMethods(path: string): Method[] {
    const methods: Method[] = ['GET', 'POST', 'PUT', 'DELETE'];
    return methods.filter((m) => {
      try {
        return this.routeRegistry.resolve(m, path as `/${string}`) !== null;
      } catch {
        return false;
      }
    });
  }
}

/** `{name}` (OpenAPI, Muse's docs) → `:name` (Powertools). */
const routerPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1') as `/${string}`;

const requestIdOf = (context: Context | undefined, event: LambdaFunctionURLEvent) =>
  context?.awsRequestId || event.requestContext?.requestId || 'local';

function lowerCaseHeaders(headers: LambdaFunctionURLEvent['headers']): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function toHttpRequest(reqCtx: RequestContext): HttpRequest {
  const event = reqCtx.event as unknown as LambdaFunctionURLEvent;
  return {
    method: reqCtx.req.method,
    path: event.rawPath,
    params: reqCtx.params,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers: lowerCaseHeaders(event.headers),
    body: event.body
      ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
      : Buffer.alloc(0),
    requestId: requestIdOf(reqCtx.context, event),
    ...(reqCtx.context?.getRemainingTimeInMillis
      ? { deadline: Date.now() + reqCtx.context.getRemainingTimeInMillis() }
      : {}),
    event,
  };
}

/**
 * A route result in the shape Powertools sends: a proxy result (its cookies
 * become separate `set-cookie` headers), or a web `Response` streaming the
 * chunks as they are produced.
 */
function toResponse(result: RouteResult): HandlerResponse {
  if (!isStream(result)) {
    const { statusCode = 200, headers, body, cookies, isBase64Encoded } = result;
    return {
      statusCode,
      // A null-body status (204, 304) must have no body at all, not an empty one.
      ...(body ? { body } : {}),
      ...(headers ? { headers } : {}),
      ...(cookies ? { cookies } : {}),
      ...(isBase64Encoded ? { isBase64Encoded } : {}),
    } as HandlerResponse;
  }
  const encoder = new TextEncoder();
  const body = ReadableStream.from(
    (async function* () {
      for await (const chunk of result.stream) yield encoder.encode(chunk);
    })(),
  );
  return new Response(body, { status: result.statusCode, headers: result.headers });
}

/** Errors raised before a route runs (no route, a bad path), as Muse errors. */
function routingError(
  router: MuseRouter,
  routes: readonly Route[],
  error: Error,
  reqCtx: RequestContext,
): Error {
  if (error instanceof AppError) return error;
  const path = new URL(reqCtx.req.url).pathname;
  if (error instanceof HttpError && error.statusCode === 404) {
    const allowed = router.allowedMethods(path);
    if (allowed.length > 0) return new MethodNotAllowedError(reqCtx.req.method, path, allowed);
    return new NotFoundError(
      `No route for ${reqCtx.req.method} ${path}. Available: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}.`,
      { cause: error },
    );
  }
  if (error instanceof URIError || (error instanceof HttpError && error.statusCode === 400)) {
    return new ValidationError(`The path ${path} is not valid: ${error.message}.`, {
      cause: error,
    });
  }
  return error;
}

/**
 * The event as Powertools' router takes it. Lambda passes a body on GET too,
 * which a web `Request` refuses, and no Muse GET reads one: it is dropped.
 * A method Powertools does not know is Muse's 405; an event it cannot turn
 * into a request (a malformed host or path) is a 400, not a 500.
 */
function resolvable(router: MuseRouter, event: LambdaFunctionURLEvent): LambdaFunctionURLEvent {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  if (!isHttpMethod(method)) {
    throw new MethodNotAllowedError(method, event.rawPath, router.allowedMethods(event.rawPath));
  }
  const url = `https://${event.headers?.host ?? 'localhost'}${event.rawPath}`;
  if (!URL.canParse(url)) throw new ValidationError(`The request URL ${url} cannot be parsed.`);
  if (method !== 'GET' && method !== 'HEAD') return event;
  const { body: _dropped, ...rest } = event;
  return { ...rest, isBase64Encoded: false };
}

/** Powertools Logger: the Lambda context on every line, and one `request` line per call. */
const requestLog: Middleware = async ({ reqCtx, next }) => {
  const started = performance.now();
  if (reqCtx.context?.awsRequestId) logger.addContext(reqCtx.context);
  metrics().captureColdStartMetric();
  await next();
  logger.info('request', {
    method: reqCtx.req.method,
    route: reqCtx.route ?? 'unmatched',
    status: reqCtx.res.status,
    durationMs: Math.round(performance.now() - started),
  });
};

/**
 * Builds a function-URL API on Powertools' `Router` from a route table.
 * Unknown paths become 404, known paths with another method 405, and every
 * thrown error goes through the one error mapper (`errorResponse`). Metrics
 * come from Powertools' metrics middleware (`latency`, `error`, `fault` by
 * route, published once per request); Logger adds the Lambda context.
 *
 * @example
 * ```ts
 * export const api = defineApi([{ method: 'GET', path: '/health', handle: async () => json(200, {}) }]);
 * export const handler = api.handler;
 * ```
 */
export function defineApi(routes: Route[]): Api {
  const router = new MuseRouter({ logger });
  router.use(metricsMiddleware(metrics()));
  router.use(requestLog);
  router.errorHandler(Error, async (error, reqCtx) =>
    toResponse(
      errorResponse(
        routingError(router, routes, error, reqCtx),
        requestIdOf(reqCtx.context, reqCtx.event as unknown as LambdaFunctionURLEvent),
      ),
    ),
  );
  for (const route of routes) {
    router.route(
      async (reqCtx) => {
        const request = toHttpRequest(reqCtx);
        try {
          return toResponse(await route.handle(request));
        } catch (error) {
          // Mapped here, not by the router, so middleware sees the real status.
          return toResponse(errorResponse(error, request.requestId));
        }
      },
      { method: route.method, path: routerPath(route.path) },
    );
  }
  const handler: UrlHandler = async (event, context) => {
    try {
      return (await router.resolve(
        resolvable(router, event) as unknown as Parameters<Router['resolve']>[0],
        context ?? ({} as Context),
      )) as HttpResult;
    } catch (error) {
      return errorResponse(error, requestIdOf(context, event));
    }
  };
  return {
    router,
    handler,
    streamHandler: streamify(router),
    routes: routes.map(({ method, path, doc }) => ({ method, path, ...(doc ? { doc } : {}) })),
  };
}
