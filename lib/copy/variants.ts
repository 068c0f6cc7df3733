/**
 * Copy variants and what they earned: every variant `POST /generate`
 * returns is registered (id → kind and text), clients put its `variantId`
 * in the engagement events they send back, the nightly job credits clicks
 * and conversions to it, and the best performers of each kind become the
 * exemplars quoted in later prompts: generate → track → learn → generate
 * better.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, putAll } from '../aws/batch.ts';
import { APP_PARTITIONS } from '../aws/resources.ts';
import { keyedCache } from '../cache.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { CopyKind } from './kinds.ts';

/**
 * The stable id of a variant: a hash of its text and the weights that wrote
 * it, so the same text from the same model always has the same id.
 */
export function variantIdOf(text: string, modelSha256: string): string {
  return `v-${createHash('sha256').update(`${modelSha256}\n${text}`).digest('hex').slice(0, 20)}`;
}

/** A registered variant. */
export interface RegisteredVariant {
  variantId: string;
  kind: CopyKind;
  text: string;
}

/** A past variant's record, as exemplar selection sees it. */
export interface VariantRecord extends RegisteredVariant {
  campaignId: string;
  delivered: number;
  clickRate: number;
  conversionRate: number;
}

/**
 * The exemplar rule: a variant qualifies with at least `minDelivered`
 * deliveries; qualified variants of a kind rank by click rate, then
 * conversion rate, then deliveries, then id; the top `kept` are stored and
 * a prompt quotes the first 2.
 */
export const EXEMPLAR_RULE = { minDelivered: 200, kept: 5 } as const;

/** The exemplars of one kind by {@link EXEMPLAR_RULE}, best first. */
export function pickExemplars(records: readonly VariantRecord[], kind: CopyKind): VariantRecord[] {
  return records
    .filter((r) => r.kind === kind && r.delivered >= EXEMPLAR_RULE.minDelivered)
    .sort(
      (a, b) =>
        b.clickRate - a.clickRate ||
        b.conversionRate - a.conversionRate ||
        b.delivered - a.delivered ||
        a.variantId.localeCompare(b.variantId),
    )
    .slice(0, EXEMPLAR_RULE.kept);
}

/**
 * Where variants and exemplars live. One DynamoDB implementation
 * ({@link DynamoVariantStore}).
 */
export interface VariantStore {
  register(variants: readonly RegisteredVariant[]): Promise<void>;
  getVariants(ids: readonly string[]): Promise<Map<string, RegisteredVariant>>;
  getExemplars(kind: CopyKind): Promise<VariantRecord[]>;
  putExemplars(kind: CopyKind, exemplars: readonly VariantRecord[]): Promise<void>;
}

/** Partition prefix of registered variants in the app table. */
export const VARIANT_PK_PREFIX = APP_PARTITIONS.variantPrefix;
/** The partition holding each kind's exemplars in the app table. */
export const EXEMPLARS_PK = APP_PARTITIONS.exemplars;

/**
 * {@link VariantStore} on the app table: `VARIANT#<id>` / `VARIANT` per
 * variant and `EXEMPLARS` / `<kind>` holding a kind's ranked exemplars.
 *
 * @example
 * ```ts
 * const variants = new DynamoVariantStore(documentClient(), config().appTable);
 * ```
 */
export class DynamoVariantStore implements VariantStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async register(variants: readonly RegisteredVariant[]): Promise<void> {
    await putAll(
      this.doc,
      this.table,
      variants.map((v) => ({ pk: `${VARIANT_PK_PREFIX}${v.variantId}`, sk: 'VARIANT', ...v })),
      'variants',
      'retry',
      2,
    );
  }

  async getVariants(ids: readonly string[]): Promise<Map<string, RegisteredVariant>> {
    const { items, unknown } = await batchGet(
      this.doc,
      this.table,
      [...new Set(ids)].map((id) => ({ pk: `${VARIANT_PK_PREFIX}${id}`, sk: 'VARIANT' })),
    );
    if (unknown.size > 0) {
      throw new ServiceUnavailableError(`Could not read ${unknown.size} variants (throttled).`, 30);
    }
    return new Map(
      items.map((i) => [
        i.variantId as string,
        { variantId: i.variantId as string, kind: i.kind as CopyKind, text: i.text as string },
      ]),
    );
  }

  async getExemplars(kind: CopyKind): Promise<VariantRecord[]> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: EXEMPLARS_PK, sk: kind } }),
    );
    return (out.Item?.exemplars as VariantRecord[] | undefined) ?? [];
  }

  async putExemplars(kind: CopyKind, exemplars: readonly VariantRecord[]): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: EXEMPLARS_PK, sk: kind, exemplars },
      }),
    );
  }
}

/** What copy learns from one night's campaign results (the nightly campaign learning satisfies it). */
export interface CampaignResult {
  campaignId: string;
  variants: ReadonlyArray<{
    variantId: string;
    delivered: number;
    /** null when nothing was delivered. */
    clickRate: { rate: number | null };
    conversionRate: { rate: number | null };
  }>;
}

/**
 * The nightly step: the learned campaigns' variants that were registered
 * become records; each kind's stored exemplars are re-ranked with them
 * (today's numbers replace a variant's older ones) by {@link EXEMPLAR_RULE}.
 * Kinds with no learned variant today keep their stored exemplars. Pass
 * `registered` when the caller has already read the variants. Idempotent:
 * the same learning gives the same exemplars.
 */
export async function updateExemplars(
  store: VariantStore,
  campaigns: readonly CampaignResult[],
  registered?: ReadonlyMap<string, RegisteredVariant>,
): Promise<Partial<Record<CopyKind, VariantRecord[]>>> {
  const learned = campaigns.flatMap((c) =>
    c.variants.map((v) => ({ campaignId: c.campaignId, v })),
  );
  if (learned.length === 0) return {};
  registered ??= await store.getVariants(learned.map(({ v }) => v.variantId));
  const byKind = new Map<CopyKind, VariantRecord[]>();
  for (const { campaignId, v } of learned) {
    const variant = registered.get(v.variantId);
    if (!variant) continue;
    const list = byKind.get(variant.kind) ?? [];
    list.push({
      ...variant,
      campaignId,
      delivered: v.delivered,
      clickRate: v.clickRate.rate ?? 0,
      conversionRate: v.conversionRate.rate ?? 0,
    });
    byKind.set(variant.kind, list);
  }
  const result: Partial<Record<CopyKind, VariantRecord[]>> = {};
  for (const [kind, today] of byKind) {
    const merged = new Map((await store.getExemplars(kind)).map((r) => [r.variantId, r]));
    for (const r of today) merged.set(r.variantId, r);
    result[kind] = pickExemplars([...merged.values()], kind);
    await store.putExemplars(kind, result[kind] ?? []);
  }
  return result;
}

/**
 * Exemplar texts of a kind, read at most once per `ttlMs` per container
 * (`MUSE_EXEMPLAR_CACHE_SECONDS`, default 5 minutes: they change nightly).
 */
export function cachedExemplars(
  store: Pick<VariantStore, 'getExemplars'>,
  ttlMs: number,
): (kind: CopyKind) => Promise<string[]> {
  return keyedCache(
    async (kind: CopyKind) => (await store.getExemplars(kind)).map((r) => r.text),
    ttlMs,
  );
}
