import {
  BatchTooLargeError,
  type FieldIssue,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import { type StoredEvent, toStoredEvent } from './keys.ts';
import { checkEvent, EVENT_LIMITS, type EventClock } from './schema.ts';
import type { EventStore } from './store.ts';

/** A per-index problem in a batch. */
export interface BatchItemError {
  /** Position in the batch (0-based; for NDJSON, the line among non-blank lines). */
  index: number;
  eventId?: string;
  issues: FieldIssue[];
}

/** The answer to a batch: counts, per-index errors and failures. */
export interface IngestResult {
  /** Events in the batch. */
  received: number;
  /** Stored now. */
  accepted: number;
  /** Already stored (earlier request or earlier in this batch): counted once. */
  duplicates: number;
  /** Invalid events, with what to fix. */
  errors: BatchItemError[];
  /** Valid events that could not be stored in time: resend them (it is idempotent). */
  failed: Array<{ index: number; eventId: string; reason: string }>;
}

/** Body formats `POST /events` accepts. */
export type BatchFormat = 'json' | 'ndjson';

const NDJSON_TYPES = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines)\b/i;

const JSON_TYPES = /^application\/(.+\+)?json\b/i;

/**
 * Picks the batch format from a content type: NDJSON when it says so, JSON
 * for JSON types or none; anything else is a 415 that says what to send.
 */
export function batchFormat(contentType: string | undefined): BatchFormat {
  if (contentType && NDJSON_TYPES.test(contentType)) return 'ndjson';
  if (!contentType || JSON_TYPES.test(contentType)) return 'json';
  throw new UnsupportedMediaTypeError(
    `Content-Type ${contentType} is not supported for events; send a JSON array with content-type: application/json, or NDJSON with content-type: application/x-ndjson.`,
  );
}

/**
 * Splits a batch body into raw entries. A JSON body must be an array; an
 * NDJSON body has one event per line (blank lines skipped), and a line that
 * is not JSON becomes an error at its index instead of failing the batch.
 */
export function parseBatch(
  body: Buffer,
  format: BatchFormat,
): { entries: unknown[]; errors: BatchItemError[] } {
  if (body.length > EVENT_LIMITS.maxBatchBytes) {
    throw new PayloadTooLargeError(EVENT_LIMITS.maxBatchBytes, body.length);
  }
  const text = body.toString('utf8');
  let entries: unknown[];
  const errors: BatchItemError[] = [];
  if (format === 'ndjson') {
    entries = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        try {
          return JSON.parse(line);
        } catch (error) {
          errors.push({
            index,
            issues: [{ path: '', message: `line is not JSON (${(error as Error).message})` }],
          });
          return undefined;
        }
      });
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(
        `The events batch is not valid JSON (${(error as Error).message}); send a JSON array of events, or NDJSON with content-type: application/x-ndjson.`,
        { cause: error },
      );
    }
    if (!Array.isArray(value)) {
      throw new ValidationError(
        'The events batch must be a JSON array of events (even for one event: [ {...} ]).',
      );
    }
    entries = value;
  }
  if (entries.length === 0) {
    throw new ValidationError('The events batch is empty; send at least one event.');
  }
  if (entries.length > EVENT_LIMITS.maxBatchEvents) {
    throw new BatchTooLargeError(EVENT_LIMITS.maxBatchEvents, entries.length, 'events');
  }
  return { entries, errors };
}

/** Options for {@link ingestBatch}. */
export interface IngestOptions extends EventClock {
  format: BatchFormat;
}

/**
 * Validates and stores a batch of engagement events. Valid events are stored
 * even when others are invalid; duplicates (same event sent again, or twice
 * in the batch) are counted once; nothing valid is silently lost: what could
 * not be stored is listed in `failed`. Throws a 400 when no event is valid
 * and a 503 when none could be stored.
 *
 * @example
 * ```ts
 * const result = await ingestBatch(store, body, { format: 'json', now: new Date(), retentionDays: 400 });
 * ```
 */
export async function ingestBatch(
  store: EventStore,
  body: Buffer,
  options: IngestOptions,
): Promise<IngestResult> {
  const { entries, errors } = parseBatch(body, options.format);
  return ingestEntries(store, entries, options, errors);
}

/**
 * Validates and stores already-parsed entries (what {@link ingestBatch} does
 * after parsing; the demo seed calls it directly). `errors` holds problems
 * found while parsing, by index.
 *
 * @example
 * ```ts
 * const result = await ingestEntries(store, events, { now: new Date(), retentionDays: 400 });
 * ```
 */
export async function ingestEntries(
  store: EventStore,
  entries: readonly unknown[],
  clock: EventClock,
  parseErrors: readonly BatchItemError[] = [],
): Promise<IngestResult> {
  const errors = [...parseErrors];
  const invalid = new Set(errors.map((e) => e.index));
  const valid: Array<{ index: number; item: StoredEvent }> = [];
  const seen = new Set<string>();
  let duplicates = 0;
  entries.forEach((entry, index) => {
    if (invalid.has(index)) return;
    const check = checkEvent(entry, clock);
    if (!check.ok) {
      errors.push({
        index,
        ...(check.eventId ? { eventId: check.eventId } : {}),
        issues: check.issues,
      });
      return;
    }
    const item = toStoredEvent(check.event, {
      receivedAt: clock.now,
      retentionDays: clock.retentionDays,
      ...(clock.shards ? { shards: clock.shards } : {}),
    });
    // The eventId is the event's identity: a second copy in the batch is a duplicate, whatever its ts.
    if (seen.has(item.eventId)) {
      duplicates++;
      return;
    }
    seen.add(item.eventId);
    valid.push({ index, item });
  });
  errors.sort((a, b) => a.index - b.index);
  if (valid.length === 0 && duplicates === 0) {
    throw new ValidationError(
      `No valid event in the batch of ${entries.length}; fix the fields listed in issues (path = <index>.<field>).`,
      {
        issues: errors.flatMap((e) =>
          e.issues.map((i) => ({
            path: i.path ? `${e.index}.${i.path}` : String(e.index),
            message: i.message,
          })),
        ),
      },
    );
  }
  const outcome = await store.putNew(valid.map((v) => v.item));
  const failed: IngestResult['failed'] = [];
  for (const f of outcome.failed) {
    const v = valid[f.index] as { index: number; item: StoredEvent };
    if (f.permanent) {
      // DynamoDB refused this event itself: resending cannot help, so it is a 4xx at its index.
      errors.push({
        index: v.index,
        eventId: v.item.eventId,
        issues: [
          { path: '', message: `could not be stored (${f.reason}); fix or drop this event` },
        ],
      });
    } else failed.push({ index: v.index, eventId: v.item.eventId, reason: f.reason });
  }
  errors.sort((a, b) => a.index - b.index);
  if (failed.length > 0 && outcome.stored.length === 0 && outcome.duplicates.length === 0) {
    throw new ServiceUnavailableError(
      `None of the ${failed.length} valid events could be stored (${failed[0]?.reason}). Resend the batch: ingestion is idempotent.`,
      2,
    );
  }
  return {
    received: entries.length,
    accepted: outcome.stored.length,
    duplicates: duplicates + outcome.duplicates.length,
    errors,
    failed,
  };
}

/** The HTTP status for a result: 200 all stored or duplicates, 207 when anything was rejected or failed. */
export function ingestStatus(result: IngestResult): 200 | 207 {
  return result.errors.length > 0 || result.failed.length > 0 ? 207 : 200;
}

/** What {@link ingestRequest} answers: the status (200 all stored, 207 some failed) and the counts. */
export interface IngestAnswer {
  status: 200 | 207;
  result: IngestResult;
}

/**
 * One `POST /events` body, end to end: format from the content type, parse,
 * validate against the retention window, store, and count
 * `EventsAccepted` / `EventsRejected`.
 *
 * @example
 * ```ts
 * const { status, result } = await ingestRequest(store, { body, headers }, { retentionDays: 400 });
 * ```
 */
export async function ingestRequest(
  store: EventStore,
  request: { body: Buffer; headers: Record<string, string> },
  options: { retentionDays: number; shards?: number; now?: Date },
): Promise<IngestAnswer> {
  const result = await ingestBatch(store, request.body, {
    format: batchFormat(request.headers['content-type']),
    now: options.now ?? new Date(),
    retentionDays: options.retentionDays,
    ...(options.shards ? { shards: options.shards } : {}),
  });
  metrics().addMetric('EventsAccepted', MetricUnit.Count, result.accepted);
  metrics().addMetric('EventsRejected', MetricUnit.Count, result.errors.length);
  return { status: ingestStatus(result), result };
}
