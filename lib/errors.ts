/**
 * Muse's one error hierarchy. Every error a client can fix is an
 * {@link AppError} with a 4xx `statusCode` and a message that says how to fix
 * it; anything else is a 500 whose details stay in the log.
 */

/** A field-level problem, with the JSON path of the offending field. */
export interface FieldIssue {
  /** Dotted path to the field, e.g. `product.features.0`; empty for the whole body. */
  path: string;
  /** What is wrong and what is expected. */
  message: string;
}

/** Options common to every {@link AppError}. */
export interface AppErrorOptions {
  cause?: unknown;
  /** Field-level details included in the response body. */
  issues?: FieldIssue[];
  /** Extra response headers (e.g. `allow` on a 405). */
  headers?: Record<string, string>;
  /** Show the message to the client; defaults to true for 4xx, false for 5xx. */
  expose?: boolean;
}

/** Base class: an error with an HTTP status, a stable code and an exposure flag. */
export class AppError extends Error {
  /** HTTP status code sent to the client. */
  readonly statusCode: number;
  /** Stable machine-readable code, e.g. `validation_failed`. */
  readonly code: string;
  /** Whether `message` may be shown to the client (true for 4xx). */
  readonly expose: boolean;
  /** Field-level problems, if any. */
  readonly issues: FieldIssue[] | undefined;
  /** Extra response headers. */
  readonly headers: Record<string, string> | undefined;

  constructor(statusCode: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
    this.expose = options.expose ?? statusCode < 500;
    this.issues = options.issues;
    this.headers = options.headers;
  }
}

/** 400: the request body or parameters are invalid. */
export class ValidationError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(400, 'validation_failed', message, options);
    this.name = 'ValidationError';
  }
}

/** 409: the request conflicts with work in progress; try again when it ends. */
export class ConflictError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(409, 'conflict', message, options);
    this.name = 'ConflictError';
  }
}

/** 404: nothing lives at this path, or the named resource does not exist. */
export class NotFoundError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(404, 'not_found', message, options);
    this.name = 'NotFoundError';
  }
}

/** 405: the path exists but not for this method. */
export class MethodNotAllowedError extends AppError {
  constructor(method: string, path: string, allowed: string[], options: AppErrorOptions = {}) {
    super(
      405,
      'method_not_allowed',
      `${method} is not supported on ${path}; use ${allowed.join(' or ')}.`,
      { ...options, headers: { allow: allowed.join(', '), ...options.headers } },
    );
    this.name = 'MethodNotAllowedError';
  }
}

/** 413: the request body exceeds a size limit. */
export class PayloadTooLargeError extends AppError {
  constructor(maxBytes: number, actualBytes?: number, options: AppErrorOptions = {}) {
    super(
      413,
      'payload_too_large',
      `Request body is ${actualBytes === undefined ? 'over' : `${actualBytes} bytes, over`} the ${maxBytes}-byte limit; send a smaller body (split batches).`,
      options,
    );
    this.name = 'PayloadTooLargeError';
  }
}

/** 413: a batch holds more items than one request may carry. */
export class BatchTooLargeError extends AppError {
  constructor(maxItems: number, actualItems: number, what: string, options: AppErrorOptions = {}) {
    super(
      413,
      'batch_too_large',
      `The batch has ${actualItems} ${what}, over the limit of ${maxItems} per request; split it into batches of at most ${maxItems}.`,
      options,
    );
    this.name = 'BatchTooLargeError';
  }
}

/** 415: the body is not in a supported media type. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(415, 'unsupported_media_type', message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 422: the request is well formed but cannot be satisfied as asked. */
export class UnprocessableError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(422, 'unprocessable', message, options);
    this.name = 'UnprocessableError';
  }
}

/** 503: a dependency (model, store) is not ready yet; the client may retry. */
export class ServiceUnavailableError extends AppError {
  constructor(message: string, retryAfterSeconds: number, options: AppErrorOptions = {}) {
    super(503, 'service_unavailable', message, {
      expose: true,
      ...options,
      headers: { 'retry-after': String(retryAfterSeconds), ...options.headers },
    });
    this.name = 'ServiceUnavailableError';
  }
}

/** 503: no model is published under the configured id/version. */
export class ModelNotPublishedError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(503, 'model_not_published', message, { expose: true, ...options });
    this.name = 'ModelNotPublishedError';
  }
}

/** 503: a downloaded model file does not match its manifest; it was deleted and not loaded. */
export class ChecksumMismatchError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(503, 'model_checksum_mismatch', message, { expose: true, ...options });
    this.name = 'ChecksumMismatchError';
  }
}

/** 507: not enough local disk (`/tmp`) to cache the model. */
export class InsufficientStorageError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(507, 'insufficient_storage', message, { expose: true, ...options });
    this.name = 'InsufficientStorageError';
  }
}
