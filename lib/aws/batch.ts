import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { backoffMs, DEFAULT_RETRY, mapLimit, type RetryPolicy, sleep } from '../async.ts';
import { ServiceUnavailableError } from '../errors.ts';

/** DynamoDB's limits per batch call. */
export const BATCH_WRITE_MAX = 25;
export const BATCH_GET_MAX = 100;

/** Batch calls in flight at once per request. */
export const BATCH_CONCURRENCY = 8;

/** Table key: both Muse tables use `pk`/`sk`. */
export interface TableKey {
  pk: string;
  sk: string;
}

/** One write: put an item or delete a key. */
/** `put` takes the whole item (its `pk`/`sk` plus any attributes). */
export type WriteOp = { put: TableKey } | { delete: TableKey };

/** What a batch write did: every op is either written or failed, never lost. */
export interface BatchWriteOutcome {
  /** Indexes (into the ops passed in) that DynamoDB applied. */
  written: number[];
  /**
   * Indexes that could not be applied, with why: `permanent` when DynamoDB
   * refused the item itself (a resend fails the same way), else transient
   * (throttling past the deadline: safe to resend).
   */
  failed: Array<{ index: number; reason: string; permanent?: boolean }>;
}

/** Errors that a later resend may overcome (after the SDK's own retries gave up). */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

const keyOf = (key: TableKey) => `${key.pk}\u0000${key.sk}`;
const opKey = (op: WriteOp): TableKey => ('put' in op ? op.put : op.delete);

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `step` on what is still pending until nothing is, retrying with
 * jittered backoff until the policy's deadline (measured from `started`).
 * `step` returns what is still pending (unprocessed items, which DynamoDB
 * returns with a 200 and the SDK does not retry). A thrown error is not
 * retried here: the SDK client already retried it with its own strategy
 * (`lib/aws/clients.ts`), so retries never nest. It stops the loop and is
 * returned with what was left; `transient` says whether a resend may work.
 */
async function retryUntilDeadline<T>(
  initial: T[],
  policy: RetryPolicy,
  started: number,
  step: (pending: T[]) => Promise<T[]>,
): Promise<{ left: T[]; error?: string; transient?: boolean }> {
  let pending = initial;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) {
      if (Date.now() - started >= policy.deadlineMs) break;
      await (policy.sleep ?? sleep)(backoffMs(policy, attempt - 1));
    }
    try {
      pending = await step(pending);
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      return { left: pending, error: name, transient: TRANSIENT_ERRORS.has(name) };
    }
  }
  return { left: pending };
}

/**
 * Applies puts and deletes with BatchWriteItem, 25 per call, several calls in
 * flight. `UnprocessedItems` are retried with exponential backoff and full
 * jitter until the policy's deadline; a throttling error is retried by the
 * SDK client's strategy; whatever is still unapplied then is reported in
 * `failed`, never silently dropped.
 * Two ops on the same key in one call are not allowed by DynamoDB: pass
 * distinct keys.
 *
 * @example
 * ```ts
 * const { written, failed } = await batchWrite(doc, 'muse-events', items.map((put) => ({ put })));
 * ```
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  ops: readonly WriteOp[],
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<BatchWriteOutcome> {
  const started = Date.now();
  const outcome: BatchWriteOutcome = { written: [], failed: [] };
  const indexed = ops.map((op, index) => ({ op, index }));
  const writeGroup = async (group: typeof indexed): Promise<void> => {
    const { left, error, transient } = await retryUntilDeadline(
      group,
      policy,
      started,
      async (pending) => {
        const out: BatchWriteCommandOutput = await doc.send(
          new BatchWriteCommand({
            RequestItems: {
              [table]: pending.map(({ op }) =>
                'put' in op
                  ? { PutRequest: { Item: op.put } }
                  : { DeleteRequest: { Key: { pk: op.delete.pk, sk: op.delete.sk } } },
              ),
            },
          }),
        );
        const unprocessed = new Set(
          (out.UnprocessedItems?.[table] ?? []).map((r) =>
            keyOf((r.PutRequest?.Item ?? r.DeleteRequest?.Key) as TableKey),
          ),
        );
        for (const item of pending)
          if (!unprocessed.has(keyOf(opKey(item.op)))) outcome.written.push(item.index);
        return pending.filter((item) => unprocessed.has(keyOf(opKey(item.op))));
      },
    );
    if (error && !transient && left.length > 1) {
      // DynamoDB refuses a whole call for one bad item: write each alone, so only it fails.
      for (const one of left) await writeGroup([one]);
      return;
    }
    const reason = error
      ? transient
        ? `${error} (throttled; the SDK's retries gave up)`
        : error
      : `unprocessed by DynamoDB (throttled; retried until the ${policy.deadlineMs} ms deadline)`;
    const permanent = Boolean(error && !transient);
    for (const { index } of left)
      outcome.failed.push({ index, reason, ...(permanent ? { permanent } : {}) });
  };
  await mapLimit(chunk(indexed, BATCH_WRITE_MAX), BATCH_CONCURRENCY, writeGroup);
  outcome.written.sort((a, b) => a - b);
  outcome.failed.sort((a, b) => a.index - b.index);
  return outcome;
}

/**
 * Puts every item, or throws a 503 that says how many of `what` could not be
 * written, why, and `retry` (what the caller should do; writes are
 * idempotent puts), with `retryAfterSeconds`.
 *
 * @example
 * ```ts
 * await putAll(doc, table, items, 'catalog items', 'loading is idempotent: run it again', 10);
 * ```
 */
export async function putAll(
  doc: DynamoDBDocumentClient,
  table: string,
  items: readonly TableKey[],
  what: string,
  retry: string,
  retryAfterSeconds: number,
): Promise<void> {
  const { failed } = await batchWrite(
    doc,
    table,
    items.map((put) => ({ put })),
  );
  if (failed.length > 0) {
    throw new ServiceUnavailableError(
      `Could not write ${failed.length} ${what} (${failed[0]?.reason}); ${retry}.`,
      retryAfterSeconds,
    );
  }
}

/**
 * Reads the items at `keys` (BatchGetItem, 100 per call, several calls in
 * flight; `projection` limits the attributes). `UnprocessedKeys` are retried
 * like {@link batchWrite}; keys still unread at the deadline are returned in
 * `unknown`, so a caller can tell "absent" from "not read".
 *
 * @example
 * ```ts
 * const { items } = await batchGet(doc, 'muse-app', [{ pk: 'CUSTOMER#c-1', sk: 'PROFILE' }]);
 * ```
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly TableKey[],
  options: { projection?: string; names?: Record<string, string>; policy?: RetryPolicy } = {},
): Promise<{ items: Array<Record<string, unknown>>; unknown: Set<string> }> {
  const policy = options.policy ?? DEFAULT_RETRY;
  const started = Date.now();
  const items: Array<Record<string, unknown>> = [];
  const unknown = new Set<string>();
  const distinct = [...new Map(keys.map((k) => [keyOf(k), { pk: k.pk, sk: k.sk }])).values()];
  await mapLimit(chunk(distinct, BATCH_GET_MAX), BATCH_CONCURRENCY, async (group) => {
    const { left } = await retryUntilDeadline(group, policy, started, async (pending) => {
      const out: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ...(options.projection ? { ProjectionExpression: options.projection } : {}),
              ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
            },
          },
        }),
      );
      items.push(...((out.Responses?.[table] ?? []) as Array<Record<string, unknown>>));
      return (out.UnprocessedKeys?.[table]?.Keys ?? []) as TableKey[];
    });
    for (const key of left) unknown.add(keyOf(key));
  });
  return { items, unknown };
}

/**
 * Deletes every item a Query matches (keys only, page by page), retrying
 * like {@link batchWrite}. Returns how many were deleted; throws a 503 if
 * some could not be (the caller may simply run it again: it is idempotent).
 *
 * @example
 * ```ts
 * await deleteWhere(doc, { TableName: t, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'CUSTOMER#c-1' } }, 'profile items of c-1');
 * ```
 */
export async function deleteWhere(
  doc: DynamoDBDocumentClient,
  query: Omit<QueryCommandInput, 'ProjectionExpression' | 'TableName'> & { TableName: string },
  what: string,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<number> {
  let deleted = 0;
  const pages = paginateQuery({ client: doc }, { ...query, ProjectionExpression: 'pk, sk' });
  for await (const page of pages) {
    const keys = (page.Items ?? []) as TableKey[];
    const result = await batchWrite(
      doc,
      query.TableName,
      keys.map((k) => ({ delete: { pk: k.pk, sk: k.sk } })),
      policy,
    );
    deleted += result.written.length;
    if (result.failed.length > 0) {
      throw new ServiceUnavailableError(
        `Could not delete ${result.failed.length} ${what} (${result.failed[0]?.reason}); it is idempotent: try again.`,
        5,
      );
    }
  }
  return deleted;
}
