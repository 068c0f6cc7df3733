import type { CatalogItem } from '../catalog/schema.ts';
import type { TextModel } from '../model/textModel.ts';
import type { LmScorer } from './engine.ts';

/** The prompt every item is also scored under, so PMI measures what the context adds. */
export const NEUTRAL_PROMPT = 'A shopper visited our store. The product they bought was the';

/** An item as the model reads it after the prompt. */
export const itemText = (item: CatalogItem) => ` ${item.title} (${item.category.toLowerCase()}).`;

const mean = (values: readonly number[]) =>
  values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/**
 * PMI re-ranking with a causal LM: for each item,
 * `mean log P(item | context) − mean log P(item | neutral prompt)` over the
 * item text's tokens (length-normalised). Each prompt is run once and its
 * KV cache reused for all items, batched (`TextModel.scoreContinuations`);
 * the neutral half depends only on the item, so it is computed once per
 * container and item.
 *
 * @example
 * ```ts
 * const [pmi] = await new ModelPmiScorer(model).pmi('A hiker looked at tents. They bought the', [item]);
 * ```
 */
export class ModelPmiScorer implements LmScorer {
  private readonly neutral = new Map<string, number>();
  private readonly neutralTokens: number[];

  constructor(private readonly model: TextModel) {
    this.neutralTokens = model.encodePrompt(NEUTRAL_PROMPT);
  }

  async pmi(context: string, items: readonly CatalogItem[]): Promise<number[]> {
    const tokens = items.map((item) => this.model.encode(itemText(item)));
    const key = (item: CatalogItem) => `${item.id}\n${itemText(item)}`;
    const missing = items.flatMap((item, i) => (this.neutral.has(key(item)) ? [] : [i]));
    if (missing.length > 0) {
      const scores = await this.model.scoreContinuations(
        this.neutralTokens,
        missing.map((i) => tokens[i] as number[]),
      );
      missing.forEach((i, j) => {
        this.neutral.set(key(items[i] as CatalogItem), mean(scores[j] as number[]));
      });
    }
    const contextual = await this.model.scoreContinuations(
      this.model.encodePrompt(context),
      tokens,
    );
    return items.map(
      (item, i) => mean(contextual[i] as number[]) - (this.neutral.get(key(item)) as number),
    );
  }
}
