import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGet, putAll } from '../aws/batch.ts';
import { APP_PARTITIONS } from '../aws/resources.ts';
import { readState } from '../aws/stateJson.ts';
import { dict } from '../dict.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { VariantCounts } from './partial.ts';

/** Partition key prefix of campaign items in the app table. */
export const CAMPAIGN_PK_PREFIX = APP_PARTITIONS.campaignPrefix;
const STATE_SK = 'STATE';

/** A campaign's funnel counts per day and variant; totals are their sum. */
export interface CampaignState {
  campaignId: string;
  /** day → variantId → counts. Campaigns are short-lived, so every day is kept. */
  days: Record<string, Record<string, VariantCounts>>;
}

/**
 * Replaces one day's counts of a campaign (idempotent: a re-run of the day
 * replaces, never adds), creating the state if needed.
 */
export function applyCampaignDay(
  state: CampaignState | undefined,
  campaignId: string,
  day: string,
  variants: Record<string, VariantCounts>,
): CampaignState {
  const days = dict(state?.days);
  days[day] = variants;
  return { campaignId, days };
}

/** A campaign's totals per variant over all its days, keyed `<campaignId>|<variantId>`. */
export function campaignTotals(state: CampaignState): Record<string, VariantCounts> {
  const totals = dict<VariantCounts>();
  for (const variants of Object.values(state.days)) {
    for (const [variantId, c] of Object.entries(variants)) {
      const key = `${state.campaignId}|${variantId}`;
      const t = totals[key] ?? {
        delivered: 0,
        opens: 0,
        clicks: 0,
        conversions: 0,
        revenueCents: 0,
      };
      totals[key] = {
        delivered: t.delivered + c.delivered,
        opens: t.opens + c.opens,
        clicks: t.clicks + c.clicks,
        conversions: t.conversions + c.conversions,
        revenueCents: t.revenueCents + c.revenueCents,
      };
    }
  }
  return totals;
}

/** Where campaign states live. One DynamoDB implementation ({@link DynamoCampaignStore}). */
export interface CampaignStore {
  getStates(campaignIds: readonly string[]): Promise<Map<string, CampaignState>>;
  putStates(states: readonly CampaignState[]): Promise<void>;
}

/** {@link CampaignStore} on the app table: item `CAMPAIGN#<id>` / `STATE`. */
export class DynamoCampaignStore implements CampaignStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getStates(campaignIds: readonly string[]): Promise<Map<string, CampaignState>> {
    const { items, unknown } = await batchGet(
      this.doc,
      this.table,
      campaignIds.map((id) => ({ pk: `${CAMPAIGN_PK_PREFIX}${id}`, sk: STATE_SK })),
      { projection: '#s', names: { '#s': 'state' } },
    );
    if (unknown.size > 0) {
      throw new ServiceUnavailableError(
        `Could not read ${unknown.size} campaign states (throttled); the nightly run is idempotent: run it again.`,
        30,
      );
    }
    return new Map(
      items.map((i) => {
        const state = readState<CampaignState>(i.state);
        return [state.campaignId, state];
      }),
    );
  }

  async putStates(states: readonly CampaignState[]): Promise<void> {
    await putAll(
      this.doc,
      this.table,
      states.map((state) => ({
        pk: `${CAMPAIGN_PK_PREFIX}${state.campaignId}`,
        sk: STATE_SK,
        state: JSON.stringify(state),
      })),
      'campaign states',
      'the nightly run is idempotent: run it again',
      30,
    );
  }
}
