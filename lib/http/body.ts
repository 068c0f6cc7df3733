import type { z } from 'zod';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { validate } from '../validation.ts';
import type { HttpRequest } from './api.ts';

/** Options for {@link readJson}. */
export interface ReadJsonOptions {
  /** Largest accepted body; larger bodies get a 413. */
  maxBytes: number;
  /** Describes the body in messages, e.g. `generate request`. */
  what?: string;
}

/**
 * Parses a JSON request body and validates it against `schema`.
 * Throws 413 when too large, 415 for a non-JSON content type, 400 for
 * malformed JSON or a schema violation (with field paths).
 *
 * @example
 * ```ts
 * const body = readJson(request, GenerateRequest, { maxBytes: 64 * 1024 });
 * ```
 */
export function readJson<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
  options: ReadJsonOptions,
): z.output<S> {
  const what = options.what ?? 'request body';
  if (request.body.length > options.maxBytes) {
    throw new PayloadTooLargeError(options.maxBytes, request.body.length);
  }
  const type = request.headers['content-type'];
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type ${type} is not supported for the ${what}; send JSON with content-type: application/json.`,
    );
  }
  if (request.body.length === 0) {
    throw new ValidationError(`The ${what} is empty; send a JSON object.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    throw new ValidationError(
      `The ${what} is not valid JSON (${(error as Error).message}); send a JSON object with content-type: application/json.`,
      { cause: error },
    );
  }
  return validate(schema, value, what);
}
