import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { customerPartition } from '../aws/appKeys.ts';
import { batchGet, putAll } from '../aws/batch.ts';
import { APP_PARTITIONS } from '../aws/resources.ts';
import { readState } from '../aws/stateJson.ts';
import { NotFoundError, ServiceUnavailableError } from '../errors.ts';
import { CustomerId } from '../events/schema.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import { validate } from '../validation.ts';
import {
  type CustomerSummary,
  type ProfileState,
  type RfmScales,
  rfmScorer,
  summarize,
} from './profiles.ts';

/** Sort key of a customer's profile item in the app table. */
export const PROFILE_SK = 'PROFILE';
/** Key of the one item saying which day the profiles are true for. */
export const AS_OF_KEY = { pk: APP_PARTITIONS.insights, sk: 'AS_OF' } as const;

/**
 * The day summaries are served as of (the latest processed day; it only
 * moves forward) and the base's RFM scales on that day.
 */
export interface AsOf {
  day: string;
  scales: RfmScales;
}

/** Options of {@link ProfileStore.scanStates}: one segment of a parallel scan. */
export interface ScanSegment {
  segment: number;
  totalSegments: number;
}

/**
 * Where customer profiles live. Profiles store facts (per-day activity and
 * lifetime totals); every time-relative field of a summary is derived when
 * it is read, as of the latest processed day, so a customer who was not
 * active for weeks is still described truly. One DynamoDB implementation
 * ({@link DynamoProfileStore}); the nightly job and the insights function
 * depend on this interface only.
 */
export interface ProfileStore {
  /** States of the given customers (absent ones are missing from the map). */
  getStates(customerIds: readonly string[]): Promise<Map<string, ProfileState>>;
  /** Writes states (each one item, so each customer's update is atomic). */
  putStates(states: readonly ProfileState[]): Promise<void>;
  /** Every stored state, page by page (one segment of a parallel scan when given). */
  scanStates(segment?: ScanSegment): AsyncIterable<ProfileState[]>;
  /** The day summaries are served as of. */
  getAsOf(): Promise<AsOf | undefined>;
  /**
   * Moves the served day to `asOf.day` if it is not earlier than the stored
   * one (atomically: of two runs at once the later day wins); false when an
   * earlier day was offered.
   */
  advanceAsOf(asOf: AsOf): Promise<boolean>;
  /** A customer's summary as of the served day, scored against that day's base. */
  getSummary(customerId: string): Promise<CustomerSummary | undefined>;
}

/**
 * {@link ProfileStore} on the app table: item `CUSTOMER#<id>` / `PROFILE`
 * holding `state`, in the customer's partition (so erasure removes it with
 * everything else about them), and `INSIGHTS` / `AS_OF` holding the served
 * day and its scales.
 *
 * @example
 * ```ts
 * const profiles = new DynamoProfileStore(documentClient(), config().appTable);
 * ```
 */
export class DynamoProfileStore implements ProfileStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getStates(customerIds: readonly string[]): Promise<Map<string, ProfileState>> {
    const { items, unknown } = await batchGet(
      this.doc,
      this.table,
      customerIds.map((id) => ({ pk: customerPartition(id), sk: PROFILE_SK })),
      { projection: '#s', names: { '#s': 'state' } },
    );
    if (unknown.size > 0) {
      // Applying a day to a state we could not read would lose that customer's history.
      throw new ServiceUnavailableError(
        `Could not read ${unknown.size} profiles (throttled); the nightly run is idempotent: run it again.`,
        30,
      );
    }
    return new Map(
      items.map((item) => {
        const state = readState<ProfileState>(item.state);
        return [state.customerId, state];
      }),
    );
  }

  async putStates(states: readonly ProfileState[]): Promise<void> {
    const updatedAt = new Date().toISOString();
    await putAll(
      this.doc,
      this.table,
      states.map((state) => ({
        pk: customerPartition(state.customerId),
        sk: PROFILE_SK,
        state: JSON.stringify(state),
        updatedAt,
      })),
      'profiles',
      'the nightly run is idempotent: run it again',
      30,
    );
  }

  async *scanStates(segment?: ScanSegment): AsyncIterable<ProfileState[]> {
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.table,
        FilterExpression: 'sk = :sk AND begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':sk': PROFILE_SK, ':prefix': APP_PARTITIONS.customerPrefix },
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'state' },
        ...(segment ? { Segment: segment.segment, TotalSegments: segment.totalSegments } : {}),
      },
    );
    for await (const page of pages) {
      yield (page.Items ?? []).map((item) => readState<ProfileState>(item.state));
    }
  }

  async getAsOf(): Promise<AsOf | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: AS_OF_KEY, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return { day: out.Item.day as string, scales: readState<RfmScales>(out.Item.scales) };
  }

  async advanceAsOf(asOf: AsOf): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...AS_OF_KEY, day: asOf.day, scales: JSON.stringify(asOf.scales) },
          ConditionExpression: 'attribute_not_exists(pk) OR #d <= :d',
          ExpressionAttributeNames: { '#d': 'day' },
          ExpressionAttributeValues: { ':d': asOf.day },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getSummary(customerId: string): Promise<CustomerSummary | undefined> {
    const [out, asOf] = await Promise.all([
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: customerPartition(customerId), sk: PROFILE_SK },
          ProjectionExpression: '#s',
          ExpressionAttributeNames: { '#s': 'state' },
        }),
      ),
      this.getAsOf(),
    ]);
    if (!out.Item) return undefined;
    const state = readState<ProfileState>(out.Item.state);
    // Without a served day yet (a run in progress), the state's own latest day.
    const day = asOf && asOf.day >= state.latestDay ? asOf.day : state.latestDay;
    return summarize(state, day, asOf ? rfmScorer(asOf.scales) : undefined);
  }
}

/**
 * `GET /insights/{customerId}`: the customer's latest summary, or a 404 that
 * says how summaries are made.
 */
export async function insightsOf(
  profiles: Pick<ProfileStore, 'getSummary'>,
  erasures: Pick<ErasureStore, 'isPending'>,
  id: string,
): Promise<CustomerSummary> {
  const customerId = validate(CustomerId, id, 'customerId in the path');
  // An erased customer is invisible at once, even to a nightly run that read them before.
  const [summary, erased] = await Promise.all([
    profiles.getSummary(customerId),
    erasures.isPending(customerId),
  ]);
  if (summary && !erased) return summary;
  throw new NotFoundError(
    `No insights for customer ${customerId} yet: the nightly job computes them from their events (locally: npm run job -- insights-nightly --date YYYY-MM-DD).`,
  );
}
