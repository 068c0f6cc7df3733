import { z } from 'zod';
import { CatalogItem } from '#lib/catalog/schema.ts';
import { CATALOG_WRITE_CHUNK } from '#lib/catalog/store.ts';
import { COPY_KINDS } from '#lib/copy/kinds.ts';
import { AppError, NotFoundError } from '#lib/errors.ts';
import { defineApi, type HttpRequest } from '#lib/http/api.ts';
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
/**
 * The header Muse's CLIs send to the admin routes. A custom header cannot be
 * set on a cross-site "simple" request (a form post, a `text/plain` fetch):
 * a browser would first ask with a CORS preflight, which the bridge does not
 * grant, so a web page cannot make `npm start` run jobs or load data.
 */
export const ADMIN_HEADER = { 'x-muse-admin': '1' } as const;

/** What every admin call must carry: {@link ADMIN_HEADER} and a JSON content type. */
function requireAdmin(request: HttpRequest): void {
  const type = request.headers['content-type'] ?? '';
  if (request.headers['x-muse-admin'] !== '1' || !/^application\/json\b/i.test(type)) {
    throw new AppError(
      403,
      'admin_only',
      'Admin routes take POST with content-type: application/json and the header the Muse CLIs send (x-muse-admin: 1).',
    );
  }
}

const JobOptions = z.record(z.string(), z.unknown());

const CatalogUpload = z.strictObject({ items: z.array(CatalogItem).max(CATALOG_WRITE_CHUNK) });

/**
 * Local-only routes under `/_local/` (never deployed): list jobs, run one
 * now (with the job's options as a JSON body), write catalog items, register copy variants. `npm run job`, `npm run catalog:load` and
 * `npm run seed` use them to work inside the running `npm start`, which owns
 * the emulators' data directory.
 */
export function adminApi(scheduler: Scheduler, world: WorldWriter) {
  return defineApi([
    {
      method: 'POST',
      path: '/_local/jobs',
      handle: async (request) => {
        requireAdmin(request);
        return json(200, { jobs: scheduler.nextRuns() });
      },
    },
    {
      method: 'POST',
      path: '/_local/catalog',
      handle: async (request) => {
        requireAdmin(request);
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
        requireAdmin(request);
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
      handle: async (request) => {
        requireAdmin(request);
        const name = request.params.name ?? '';
        if (!(name in scheduler.nextRuns())) {
          throw new NotFoundError(
            `Unknown job "${name}". Known jobs: ${Object.keys(scheduler.nextRuns()).join(', ') || 'none'}.`,
          );
        }
        // Options (e.g. {"date": "2026-11-22"}), validated by the job; none in an empty body.
        const options =
          request.body.length === 0
            ? undefined
            : readJson(request, JobOptions, { maxBytes: 64 * 1024, what: `${name} options` });
        const started = Date.now();
        const result = await scheduler.runNow(name, options);
        return json(200, { job: name, durationMs: Date.now() - started, result });
      },
    },
  ]);
}
