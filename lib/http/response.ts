import type { LambdaFunctionURLResult } from 'aws-lambda';
import { AppError } from '../errors.ts';
import { logger } from '../log.ts';

/** The structured result every Muse handler returns (function URL, payload 2.0). */
export type HttpResult = Exclude<LambdaFunctionURLResult, string>;

/** A streamed response: status and headers first, then chunks as they are produced. */
export interface StreamResult {
  statusCode: number;
  headers: Record<string, string>;
  stream: AsyncIterable<string>;
}

/** What a route returns: a whole response or a stream. */
export type RouteResult = HttpResult | StreamResult;

/** True for a {@link StreamResult}. */
export const isStream = (result: RouteResult): result is StreamResult => 'stream' in result;

/** Builds a JSON response with `content-type: application/json`. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** The JSON body, status and headers of an error response. */
export interface ErrorBody {
  statusCode: number;
  headers?: Record<string, string>;
  body: {
    error: {
      code: string;
      message: string;
      issues?: Array<{ path: string; message: string }>;
      requestId?: string;
    };
  };
}

/** A domain answer `{ status, result }` as a JSON response. */
export function answer({ status, result }: { status: number; result: unknown }): HttpResult {
  return json(status, result);
}

/** Builds a response with a body of the given content type (CSV, HTML, …). */
export function text(statusCode: number, contentType: string, body: string): HttpResult {
  return { statusCode, headers: { 'content-type': contentType }, body };
}

/**
 * The one error mapper: what any thrown value becomes on the wire.
 * {@link AppError}s with `expose` show their message and field issues; anything
 * else becomes a generic 500 (or the error's 5xx) and is logged with its
 * stack, never shown. {@link errorResponse} sends it as a response; a stream
 * that fails after its headers sends it as its last line (`lib/http/ndjson.ts`).
 */
export function errorBody(error: unknown, requestId?: string): ErrorBody {
  const id = requestId ? { requestId } : {};
  if (error instanceof AppError && error.expose) {
    if (error.statusCode >= 500) logger.warn('request failed', { error });
    return {
      statusCode: error.statusCode,
      ...(error.headers ? { headers: error.headers } : {}),
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues ? { issues: error.issues } : {}),
          ...id,
        },
      },
    };
  }
  logger.error('unhandled error', { error: error as Error, requestId });
  const known = error instanceof AppError ? error : undefined;
  return {
    statusCode: known?.statusCode ?? 500,
    ...(known?.headers ? { headers: known.headers } : {}),
    body: {
      error: {
        code: known?.code ?? 'internal_error',
        message: `Internal error. Retry; if it persists, report request id ${requestId ?? 'unknown'}.`,
        ...id,
      },
    },
  };
}

/** {@link errorBody} as a JSON response. */
export function errorResponse(error: unknown, requestId?: string): HttpResult {
  const { statusCode, headers, body } = errorBody(error, requestId);
  return json(statusCode, body, headers);
}
