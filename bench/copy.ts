/**
 * Copywriting benchmark on the gpt2 shape (random weights: speed only):
 * end-to-end `writeCopy` for `kind: email_subject, candidates: 8, n: 3`
 * (prompt, one shared prefill, 8 sequences decoded as one batch, post-
 * processing, fluency scoring) vs 8 sequential single-sequence generations
 * of the same prompt and the same lengths. The stores are stand-ins (no
 * customer, no exemplars, registration discarded): this measures the model
 * work, not DynamoDB.
 */
import { CopyRequest } from '#lib/copy/request.ts';
import { type CopyDeps, writeCopy } from '#lib/copy/writeCopy.ts';
import { median, table } from './lib.ts';
import { withBenchModel } from './model.ts';

const REPS = 5;

/** Runs the copywriting benchmark; returns rows for the table and JSON. */
export async function runCopyBench(): Promise<Record<string, unknown>> {
  return withBenchModel('gpt2', async ({ model }) => {
    const deps: CopyDeps = {
      model,
      profiles: { getSummary: async () => undefined },
      catalog: { getItems: async () => new Map() },
      variants: { register: async () => {}, getVariants: async () => new Map() },
      exemplars: async () => [],
      blocklist: [],
      pricing: { gbSecondUsd: 0.0000133334, memoryMb: 3008 },
    };
    const bestOf = [];
    const sequential = [];
    let lengths: number[] = [];
    for (let rep = 0; rep <= REPS; rep++) {
      const request = CopyRequest.parse({
        kind: 'email_subject',
        product: { name: 'Trail Runner 2', features: ['light', 'grippy'], price: 89 },
        audience: 'trail runners',
        n: 3,
        candidates: 8,
        seed: rep + 1,
      });
      const t0 = performance.now();
      const out = await writeCopy(deps, request, { loadMs: 0 });
      const copyMs = performance.now() - t0;
      // The same lengths, one sequence at a time (each with its own prefill).
      const promptTokens = model.encode(out.prompt);
      const generated = await model.generate(promptTokens, {
        n: 8,
        maxNewTokens: out.parameters.maxNewTokens,
        temperature: request.temperature,
        topK: request.topK,
        topP: request.topP,
        seed: rep + 1,
      });
      lengths = generated.sequences.map((s) => Math.max(1, s.tokens.length));
      const t1 = performance.now();
      for (const [i, length] of lengths.entries()) {
        await model.generate(promptTokens, {
          n: 1,
          maxNewTokens: length,
          temperature: 0,
          topK: 0,
          topP: 1,
          seed: i,
        });
      }
      const seqMs = performance.now() - t1;
      if (rep > 0) {
        // rep 0 warms up
        bestOf.push(copyMs);
        sequential.push(seqMs);
      }
    }
    const rows = [
      {
        shape: 'gpt2',
        'best-of-8 (n 3) ms': median(bestOf),
        '8 sequential ms': median(sequential),
        ratio: median(bestOf) / median(sequential),
        'tokens per candidate': lengths.join(' '),
      },
    ];
    console.log(
      `\nCopywriting: email_subject best-of-8 vs 8 sequential generations (medians of ${REPS})`,
    );
    console.log(table(rows));
    return { rows, bestOf, sequential };
  });
}
