/**
 * `npm run eval:recs [-- --interactions FILE --items FILE] [--test-fraction 0.2] [--k 10]`:
 * offline evaluation of recommendations. Interactions: CSV with header
 * `customerId,itemId,type,ts` (type: view, add_to_cart or purchase; ts ISO)
 * or a JSON array of such objects. Items: a catalog file as
 * `npm run catalog:load` reads it. Without files it evaluates on the demo
 * seed (generated in memory, the same data `npm run seed` stores). Prints
 * NDCG@k, recall@k and coverage of a popularity baseline, an item-kNN
 * baseline and Muse's hybrid (without the language model: its weights
 * would be random in this offline run) on the same time-based split.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { catalogFormat, parseCatalog } from '#lib/catalog/parse.ts';
import type { CatalogItem } from '#lib/catalog/schema.ts';
import { DEFAULT_RECS_WEIGHTS } from '#lib/config.ts';
import { EVENT_TYPES, type EventType } from '#lib/events/schema.ts';
import { buildWorld, demoEvents } from '#tools/demo/seed.ts';
import {
  EVAL_DEMO_SEED,
  evaluate,
  hybridRecommender,
  itemKnnBaseline,
  type LoggedInteraction,
  popularityBaseline,
  timeSplit,
} from '#tools/recommend/evaluate.ts';
import { table } from '../bench/lib.ts';

const { values } = parseArgs({
  options: {
    interactions: { type: 'string' },
    items: { type: 'string' },
    'test-fraction': { type: 'string', default: '0.2' },
    k: { type: 'string', default: '10' },
  },
});
const fail = (message: string): never => {
  console.error(message);
  console.error(
    'Usage: npm run eval:recs -- [--interactions FILE.csv|json --items FILE.csv|json] [--test-fraction 0.2] [--k 10]',
  );
  process.exit(2);
};
const testFraction = Number(values['test-fraction']);
const k = Number(values.k);
if (!(testFraction > 0 && testFraction < 1)) fail('--test-fraction must be between 0 and 1');
if (!Number.isInteger(k) || k < 1 || k > 50) fail('--k must be a whole number from 1 to 50');
if (Boolean(values.interactions) !== Boolean(values.items))
  fail('give both --interactions and --items, or neither');

let log: LoggedInteraction[];
let catalog: CatalogItem[];
let source: string;
if (values.interactions && values.items) {
  const parsed = parseCatalog(await readFile(values.items, 'utf8'), catalogFormat(values.items));
  if (parsed.errors.length > 0)
    fail(
      `${values.items}: ${parsed.errors.length} invalid rows (npm run catalog:load -- ${values.items} --dry-run lists them)`,
    );
  catalog = parsed.items;
  const text = await readFile(values.interactions, 'utf8');
  const rows = (
    catalogFormat(values.interactions) === 'csv'
      ? parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true })
      : JSON.parse(text)
  ) as Array<Record<string, string>>;
  log = rows.map((r, i) => {
    const ts = new Date(r.ts ?? '');
    if (
      !r.customerId ||
      !r.itemId ||
      !EVENT_TYPES.includes(r.type as EventType) ||
      Number.isNaN(ts.getTime())
    ) {
      return fail(
        `${values.interactions} row ${i + 1}: needs customerId, itemId, type (${EVENT_TYPES.join('|')}) and an ISO ts`,
      );
    }
    return {
      customerId: r.customerId,
      itemId: r.itemId,
      type: r.type as EventType,
      ts: ts.toISOString(),
    };
  });
  source = `${values.interactions} + ${values.items}`;
} else {
  const world = buildWorld(EVAL_DEMO_SEED);
  catalog = world.catalog;
  log = [...demoEvents(world, EVAL_DEMO_SEED)].flatMap((e) =>
    e.itemId ? [{ customerId: e.customerId, itemId: e.itemId, type: e.type, ts: e.ts }] : [],
  );
  source = `demo seed (${EVAL_DEMO_SEED.customers} customers, ${EVAL_DEMO_SEED.days} days, seed ${EVAL_DEMO_SEED.seed})`;
}

const split = timeSplit(log, testFraction);
console.log(
  `${source}: ${log.length} item interactions, ${catalog.length} items; train before ${split.cutoff} (${split.train.length}), test after (${split.test.length}).`,
);
const methods = {
  popularity: popularityBaseline(split),
  'item-kNN': itemKnnBaseline(split),
  'Muse hybrid (no LM)': hybridRecommender(split, catalog, { ...DEFAULT_RECS_WEIGHTS, lm: 0 }),
};
const rows = [];
for (const [name, method] of Object.entries(methods)) {
  const r = await evaluate(split, catalog.length, method, k);
  rows.push({
    method: name,
    [`NDCG@${k}`]: r.ndcg,
    [`recall@${k}`]: r.recall,
    coverage: r.coverage,
    users: r.users,
  });
}
console.log(table(rows));
