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
  /** The product category it was written for (its exemplar scope), when the request named one. */
  category?: string;
}

/** Why a variant is an exemplar: it won its campaign's test, or it beat its kind's baseline. */
export type ExemplarEvidence = 'won' | 'beat-baseline';

/** A past variant's record, as exemplar selection sees it. */
export interface VariantRecord extends RegisteredVariant {
  campaignId: string;
  delivered: number;
  clickRate: number;
  /** 95 % Wilson interval of the click rate. */
  clickInterval: [number, number];
  conversionRate: number;
  /** Why it qualifies; absent when it does not. */
  evidence?: ExemplarEvidence;
  /** The kind's pooled click rate it was compared with (for `beat-baseline`). */
  baselineClickRate?: number;
}

/**
 * The exemplar rule. A variant qualifies when it won its campaign's test
 * (the report's rule: ≥ 95 % probability best with ≥ 300 deliveries per
 * variant), or when it has ≥ `minDelivered` deliveries and its click rate's
 * 95 % interval lies wholly above its kind's baseline (the pooled click
 * rate of every learned variant of the kind). Qualified variants rank by
 * click rate, then conversion rate, then deliveries, then id; the best
 * `kept` of each category and of the whole kind are stored, and a prompt
 * quotes the first 2 of the product's category (else of the kind).
 */
export const EXEMPLAR_RULE = { minDelivered: 100, kept: 5 } as const;

const byPerformance = (a: VariantRecord, b: VariantRecord) =>
  b.clickRate - a.clickRate ||
  b.conversionRate - a.conversionRate ||
  b.delivered - a.delivered ||
  a.variantId.localeCompare(b.variantId);

/** The qualified exemplars of one kind by {@link EXEMPLAR_RULE}: the best of each category and of the kind, best first. */
export function pickExemplars(records: readonly VariantRecord[], kind: CopyKind): VariantRecord[] {
  const qualified = records.filter((r) => r.kind === kind && r.evidence).sort(byPerformance);
  const kept = new Set(qualified.slice(0, EXEMPLAR_RULE.kept));
  const perCategory = new Map<string, number>();
  for (const r of qualified) {
    if (!r.category) continue;
    const n = perCategory.get(r.category) ?? 0;
    if (n < EXEMPLAR_RULE.kept) kept.add(r);
    perCategory.set(r.category, n + 1);
  }
  return qualified.filter((r) => kept.has(r));
}

/**
 * The exemplars a prompt for `category` quotes: the best of that category
 * (case-insensitive), else the best of the kind; at most `count`.
 */
export function exemplarsFor(
  records: readonly VariantRecord[],
  category: string | undefined,
  count: number,
): VariantRecord[] {
  const key = category?.trim().toLowerCase();
  const scoped = key ? records.filter((r) => r.category?.toLowerCase() === key) : [];
  return (scoped.length > 0 ? scoped : records).slice(0, count);
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
        {
          variantId: i.variantId as string,
          kind: i.kind as CopyKind,
          text: i.text as string,
          ...(typeof i.category === 'string' ? { category: i.category } : {}),
        },
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
  /** The variant that won the campaign's test, if one did. */
  winner?: string;
  variants: ReadonlyArray<{
    variantId: string;
    delivered: number;
    /** `rate` null when nothing was delivered; `low`–`high` its 95 % interval. */
    clickRate: { rate: number | null; successes: number; low: number; high: number };
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
  const winners = new Set(campaigns.flatMap((c) => (c.winner ? [c.winner] : [])));
  const byKind = new Map<CopyKind, Array<{ record: VariantRecord; clicks: number }>>();
  for (const { campaignId, v } of learned) {
    const variant = registered.get(v.variantId);
    if (!variant) continue;
    const list = byKind.get(variant.kind) ?? [];
    list.push({
      clicks: v.clickRate.successes,
      record: {
        ...variant,
        campaignId,
        delivered: v.delivered,
        clickRate: v.clickRate.rate ?? 0,
        clickInterval: [v.clickRate.low, v.clickRate.high],
        conversionRate: v.conversionRate.rate ?? 0,
      },
    });
    byKind.set(variant.kind, list);
  }
  const result: Partial<Record<CopyKind, VariantRecord[]>> = {};
  for (const [kind, learnedToday] of byKind) {
    // The kind's baseline: every learned variant of the kind, pooled.
    const clicks = learnedToday.reduce((sum, l) => sum + l.clicks, 0);
    const delivered = learnedToday.reduce((sum, l) => sum + l.record.delivered, 0);
    const baseline = delivered > 0 ? clicks / delivered : 0;
    const today = learnedToday.map(({ record }): VariantRecord => {
      const { evidence: _e, baselineClickRate: _b, ...facts } = record;
      if (winners.has(record.variantId)) return { ...facts, evidence: 'won' };
      if (record.delivered >= EXEMPLAR_RULE.minDelivered && record.clickInterval[0] > baseline) {
        return { ...facts, evidence: 'beat-baseline', baselineClickRate: baseline };
      }
      return facts;
    });
    const merged = new Map((await store.getExemplars(kind)).map((r) => [r.variantId, r]));
    for (const r of today) merged.set(r.variantId, r);
    result[kind] = pickExemplars([...merged.values()], kind);
    await store.putExemplars(kind, result[kind] ?? []);
  }
  return result;
}

/**
 * The qualified exemplars of a kind, read at most once per `ttlMs` per container
 * (`MUSE_EXEMPLAR_CACHE_SECONDS`, default 5 minutes: they change nightly).
 */
export function cachedExemplars(
  store: Pick<VariantStore, 'getExemplars'>,
  ttlMs: number,
): (kind: CopyKind) => Promise<VariantRecord[]> {
  // Records stored before exemplars carried their evidence do not qualify.
  return keyedCache(
    async (kind: CopyKind) => (await store.getExemplars(kind)).filter((r) => r.evidence),
    ttlMs,
  );
}
