import { cachedValue } from '../cache.ts';
import { allItems, type CatalogStore } from '../catalog/store.ts';
import type { RecsLmMode } from '../config.ts';
import { ValidationError } from '../errors.ts';
import type { EventStore } from '../events/store.ts';
import { type Pricing, type RequestCost, requestCost } from '../model/cost.ts';
import type { ModelForRequest } from '../model/runtime.ts';
import { type ModelIdentity, modelIdentity, type TextModel } from '../model/textModel.ts';
import { CatalogIndex } from './catalogIndex.ts';
import { type BlendWeights, type RecommendOutput, recommendItems } from './engine.ts';
import { ModelPmiScorer } from './lm.ts';
import type { RecommendRequest } from './request.ts';
import type { RecommendationSignals, SignalReader } from './signals.ts';

/** How long a container reuses the catalog index and the signals (both change at most nightly or on a load). */
export const RECOMMEND_CACHE_MS = 5 * 60 * 1000;
/** Most recent events of the customer used as seeds (every stored purchase is read for the exclusions). */
export const HISTORY_EVENTS = 200;

/** The response of `POST /recommend`: the engine's answer, what it was built from, and timings. */
export interface RecommendResponse extends RecommendOutput, ModelIdentity {
  signalsDay?: string;
  /** What the answer could not do, e.g. the LM re-rank being off for a random-weight model. */
  warnings: string[];
  timings: { loadMs: number; contextMs: number; rankMs: number; totalMs: number };
  /** Estimated compute cost of the call (the request plus the model load it waited for). */
  cost: RequestCost;
}

/** Categories listed in a 400 (a catalog may have thousands). */
const LISTED_CATEGORIES = 50;

/**
 * A 400 for filter categories the catalog does not have (a typo would
 * otherwise answer an empty list), listing the valid ones.
 */
function refuseUnknownCategories(catalog: CatalogIndex, categories: readonly string[]): void {
  const unknown = catalog.unknownCategories(categories);
  if (unknown.length === 0) return;
  const valid = [...catalog.categories.values()];
  const listed =
    valid.length > LISTED_CATEGORIES
      ? `${valid.slice(0, LISTED_CATEGORIES).join(', ')}, … (${valid.length} in all)`
      : valid.join(', ') || 'none (the catalog is empty)';
  throw new ValidationError(
    `The catalog has no categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((c) => JSON.stringify(c)).join(', ')}. Its categories (any case): ${listed}.`,
    {
      issues: unknown.map((c) => ({
        path: `filters.categories.${categories.indexOf(c)}`,
        message: 'not a catalog category',
      })),
    },
  );
}

/**
 * Recommendations over the stores: the customer's recent events (customer
 * index), the nightly signals and the catalog index (cached per container),
 * and the model's PMI re-ranking.
 */
export class RecommendService {
  private readonly catalog: () => Promise<CatalogIndex>;
  private readonly signals: () => Promise<RecommendationSignals | undefined>;
  private scorer?: { model: TextModel; scorer: ModelPmiScorer };

  constructor(
    private readonly deps: {
      events: Pick<EventStore, 'customerHistory'>;
      catalog: Pick<CatalogStore, 'pages'>;
      signals: SignalReader;
      weights: BlendWeights;
      /** When the LM re-ranks: `auto` only with real weights, `on`, `off` (default `auto`). */
      lm?: RecsLmMode;
      /** What the function's compute costs (for the response's `cost`). */
      pricing: Pricing;
      cacheMs?: number;
    },
  ) {
    const ttl = deps.cacheMs ?? RECOMMEND_CACHE_MS;
    this.catalog = cachedValue(async () => new CatalogIndex(await allItems(deps.catalog)), ttl);
    this.signals = cachedValue(() => deps.signals.getSignals(), ttl);
  }

  private scorerFor(model: TextModel): ModelPmiScorer {
    if (this.scorer?.model !== model) this.scorer = { model, scorer: new ModelPmiScorer(model) };
    return this.scorer.scorer;
  }

  async recommend(
    request: RecommendRequest,
    { model, loadMs }: ModelForRequest,
  ): Promise<RecommendResponse> {
    const started = performance.now();
    const [catalog, signals, { recent: history, purchased }] = await Promise.all([
      this.catalog(),
      this.signals(),
      request.customerId
        ? this.deps.events.customerHistory(request.customerId, HISTORY_EVENTS)
        : Promise.resolve({ recent: [], purchased: new Set<string>() }),
    ]);
    refuseUnknownCategories(catalog, request.filters.categories ?? []);
    const contextMs = performance.now() - started;
    const mode = this.deps.lm ?? 'auto';
    const useLm = mode === 'on' || (mode === 'auto' && !model.info.randomWeights);
    const warnings = useLm
      ? []
      : [
          mode === 'off'
            ? 'The language-model re-rank is off (MUSE_RECS_LM=off): weights.lm is 0.'
            : 'The language-model re-rank is off: the loaded model has random weights, so its scores would be noise (weights.lm is 0). Publish a real GPT-2 to use it, or set MUSE_RECS_LM=on to run it anyway.',
        ];
    const out = await recommendItems(
      {
        history: history.flatMap((e) =>
          e.itemId ? [{ itemId: e.itemId, type: e.type, ts: e.ts }] : [],
        ),
        purchased,
        ...(request.need ? { need: request.need } : {}),
        k: request.k,
        filters: request.filters,
        diversity: request.diversity,
        exclude: request.exclude,
      },
      {
        catalog,
        ...(signals ? { signals } : {}),
        weights: useLm ? this.deps.weights : { ...this.deps.weights, lm: 0 },
        ...(useLm ? { lm: this.scorerFor(model) } : {}),
      },
    );
    const totalMs = performance.now() - started;
    return {
      ...out,
      warnings,
      ...(signals ? { signalsDay: signals.day } : {}),
      timings: {
        loadMs: Math.round(loadMs),
        contextMs: Math.round(contextMs),
        rankMs: Math.round(totalMs - contextMs),
        totalMs: Math.round(totalMs),
      },
      cost: requestCost(this.deps.pricing, totalMs + loadMs),
      ...modelIdentity(model.info),
    };
  }
}
