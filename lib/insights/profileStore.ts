import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { customerPartition } from '../aws/appKeys.ts';
import { batchGet, putAll } from '../aws/batch.ts';
import { readState } from '../aws/stateJson.ts';
import { NotFoundError, ServiceUnavailableError } from '../errors.ts';
import { CustomerId } from '../events/schema.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import { validate } from '../validation.ts';
import type { CustomerSummary, ProfileState } from './profiles.ts';

/** Sort key of a customer's profile item in the app table. */
export const PROFILE_SK = 'PROFILE';

/** A profile as stored: the running state and the summary computed from it. */
export interface StoredProfile {
  state: ProfileState;
  summary: CustomerSummary;
}

/**
 * Where customer profiles live. One DynamoDB implementation
 * ({@link DynamoProfileStore}); the nightly job and the insights function
 * depend on this interface only.
 */
export interface ProfileStore {
  /** States of the given customers (absent ones are missing from the map). */
  getStates(customerIds: readonly string[]): Promise<Map<string, ProfileState>>;
  /** Writes profiles (each one item, so each customer's update is atomic). */
  putProfiles(profiles: readonly StoredProfile[]): Promise<void>;
  /** The latest summary of a customer. */
  getSummary(customerId: string): Promise<CustomerSummary | undefined>;
}

/**
 * {@link ProfileStore} on the app table: item `CUSTOMER#<id>` / `PROFILE`
 * holding `state` and `summary`, in the customer's partition (so erasure
 * removes it with everything else about them).
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

  async putProfiles(profiles: readonly StoredProfile[]): Promise<void> {
    const updatedAt = new Date().toISOString();
    await putAll(
      this.doc,
      this.table,
      profiles.map((p) => ({
        pk: customerPartition(p.state.customerId),
        sk: PROFILE_SK,
        state: JSON.stringify(p.state),
        summary: p.summary,
        updatedAt,
      })),
      'profiles',
      'the nightly run is idempotent: run it again',
      30,
    );
  }

  async getSummary(customerId: string): Promise<CustomerSummary | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: customerPartition(customerId), sk: PROFILE_SK },
        ProjectionExpression: 'summary',
      }),
    );
    return out.Item?.summary as CustomerSummary | undefined;
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
    `No insights for customer ${customerId} yet: the nightly job computes them from their events (locally: npm run insights -- --date YYYY-MM-DD).`,
  );
}
