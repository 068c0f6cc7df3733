import { z } from 'zod';
import { CatalogItem } from '#lib/catalog/schema.ts';
import { CATALOG_WRITE_CHUNK } from '#lib/catalog/store.ts';
import { COPY_KINDS } from '#lib/copy/kinds.ts';
import { NotFoundError } from '#lib/errors.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { json } from '#lib/http/response.ts';
import type { WorldWriter } from './demo.ts';
import type { Scheduler } from './scheduler.ts';

const VariantUpload = z.strictObject({
  variants: z
    .array(
      z.strictObject({
        variantId: z.string().min(1).max(128),
        kind: z.enum(COPY_KINDS),
        text: z.string().min(1).max(4000),
      }),
    )
    .max(CATALOG_WRITE_CHUNK),
});
const CatalogUpload = z.strictObject({ items: z.array(CatalogItem).max(CATALOG_WRITE_CHUNK) });

/**
 * Local-only routes under `/_local/` (never deployed): list jobs, run one
 * now, write catalog items, register copy variants. `npm run job`, `npm run catalog:load` and
 * `npm run seed` use them to work inside the running `npm start`, which owns
 * the emulators' data directory.
 */
export function adminApi(scheduler: Scheduler, world: WorldWriter) {
  return defineApi([
    {
      method: 'GET',
      path: '/_local/jobs',
      handle: async () => json(200, { jobs: scheduler.nextRuns() }),
    },
    {
      method: 'POST',
      path: '/_local/catalog',
      handle: async (request) => {
        const { items } = readJson(request, CatalogUpload, {
          maxBytes: 16 * 1024 * 1024,
          what: 'catalog upload',
        });
        await world.putItems(items);
        return json(200, { written: items.length });
      },
    },
    {
      method: 'POST',
      path: '/_local/variants',
      handle: async (request) => {
        const { variants } = readJson(request, VariantUpload, {
          maxBytes: 4 * 1024 * 1024,
          what: 'variant registration',
        });
        await world.register(variants);
        return json(200, { registered: variants.length });
      },
    },
    {
      method: 'POST',
      path: '/_local/jobs/{name}',
      handle: async ({ params }) => {
        const name = params.name ?? '';
        if (!(name in scheduler.nextRuns())) {
          throw new NotFoundError(
            `Unknown job "${name}". Known jobs: ${Object.keys(scheduler.nextRuns()).join(', ') || 'none'}.`,
          );
        }
        const started = Date.now();
        const result = await scheduler.runNow(name);
        return json(200, { job: name, durationMs: Date.now() - started, result });
      },
    },
  ]);
}
