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

/** Where a streamed response goes: Lambda's response stream, or the local bridge's HTTP response. */
export interface ResponseSink {
  start(statusCode: number, headers: Record<string, string>): void;
  write(chunk: string): void;
  end(): void;
}

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

/**
 * The one error mapper: turns any thrown value into a JSON response.
 * {@link AppError}s with `expose` show their message and field issues; anything
 * else becomes a generic 500 and is logged with its stack, never shown.
 */
export function errorResponse(error: unknown, requestId?: string): HttpResult {
  if (error instanceof AppError && error.expose) {
    if (error.statusCode >= 500) logger.warn('request failed', { error });
    return json(
      error.statusCode,
      {
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues ? { issues: error.issues } : {}),
          ...(requestId ? { requestId } : {}),
        },
      },
      error.headers,
    );
  }
  logger.error('unhandled error', { error: error as Error, requestId });
  const status = error instanceof AppError ? error.statusCode : 500;
  return json(
    status,
    {
      error: {
        code: error instanceof AppError ? error.code : 'internal_error',
        message: `Internal error. Retry; if it persists, report request id ${requestId ?? 'unknown'}.`,
        ...(requestId ? { requestId } : {}),
      },
    },
    error instanceof AppError ? error.headers : undefined,
  );
}
