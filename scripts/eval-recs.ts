/**
 * `npm run eval:recs [-- --interactions FILE --items FILE] [--cutoff ISO | --test-fraction 0.2]
 * [--k 10] [--weights collaborative=0.5,…] [--methods popularity,recent,knn,ease,hybrid]
 * [--skip-invalid]`: offline
 * evaluation of recommendations. Interactions: CSV with header
 * `customerId,itemId,type,ts` (type: view, add_to_cart or purchase; ts ISO)
 * or a JSON array of such objects. Items: a catalog file as
 * `npm run catalog:load` reads it. Without files it evaluates on the demo
 * seed (generated in memory, the same data `npm run seed` stores). Prints
 * NDCG@k, recall@k (over min(k, relevant)) and coverage, to 4 decimals, of
 * popularity, popularity of the last 28 days, item-kNN and Muse's hybrid
 * (without the language model: its weights would be random in this offline
 * run; the blend weights from `--weights`, else `MUSE_RECS_WEIGHTS`, else the
 * defaults) on the same time-based split.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { catalogFormat, parseCatalog } from '#lib/catalog/parse.ts';
import type { CatalogItem } from '#lib/catalog/schema.ts';
import { parseConfig } from '#lib/config.ts';
import { ENV } from '#lib/envNames.ts';
import { EVENT_TYPES, type EventType } from '#lib/events/schema.ts';
import { EASE_LAMBDA, EASE_MAX_ITEMS } from '#lib/recommend/ease.ts';
import { type Progress, progressBar } from '#tools/cli/progress.ts';
import { buildWorld, demoEvents } from '#tools/demo/seed.ts';
import {
  cutoffSplit,
  EVAL_DEMO_SEED,
  EVAL_DEMO_TEST_DAYS,
  easeBaseline,
  evaluate,
  hybridRecommender,
  itemKnnBaseline,
  type LoggedInteraction,
  popularityBaseline,
  type Recommender,
  timeSplit,
} from '#tools/recommend/evaluate.ts';
import { table } from '../bench/lib.ts';

const { values } = parseArgs({
  options: {
    interactions: { type: 'string' },
    items: { type: 'string' },
    'test-fraction': { type: 'string' },
    cutoff: { type: 'string' },
    k: { type: 'string', default: '10' },
    weights: { type: 'string' },
    'skip-invalid': { type: 'boolean', default: false },
    methods: { type: 'string' },
  },
});
const started = performance.now();
const fail = (message: string): never => {
  console.error(message);
  console.error(
    'Usage: npm run eval:recs -- [--interactions FILE.csv|json --items FILE.csv|json] [--cutoff ISO-DATE | --test-fraction 0.2] [--k 10] [--weights collaborative=0.5,text=0.3,popularity=0.2] [--methods popularity,recent,knn,ease,hybrid] [--skip-invalid]',
  );
  process.exit(2);
};
if (values.cutoff !== undefined && values['test-fraction'] !== undefined)
  fail('give --cutoff or --test-fraction, not both');
const testFraction = Number(values['test-fraction'] ?? '0.2');
const k = Number(values.k);
if (!(testFraction > 0 && testFraction < 1)) fail('--test-fraction must be between 0 and 1');
if (values.cutoff !== undefined && Number.isNaN(Date.parse(values.cutoff)))
  fail('--cutoff must be an ISO date or time, e.g. 2011-09-01');
/** The blend weights: `--weights`, else `MUSE_RECS_WEIGHTS`, else the defaults (one parser, the functions'). */
function blendWeights() {
  try {
    return parseConfig({
      ...process.env,
      ...(values.weights === undefined ? {} : { [ENV.recsWeights]: values.weights }),
    }).recommend.weights;
  } catch (error) {
    return fail(`--weights / ${ENV.recsWeights}: ${(error as Error).message}`);
  }
}
const weights = blendWeights();
if (!Number.isInteger(k) || k < 1 || k > 50) fail('--k must be a whole number from 1 to 50');
/** The methods `--methods` can name (all by default). */
const METHOD_NAMES = ['popularity', 'recent', 'knn', 'ease', 'hybrid'] as const;
type MethodName = (typeof METHOD_NAMES)[number];
const chosen = values.methods?.split(',').map((m) => m.trim()) ?? [...METHOD_NAMES];
const unknown = chosen.filter((m) => !(METHOD_NAMES as readonly string[]).includes(m));
if (unknown.length > 0 || chosen.length === 0)
  fail(`--methods: unknown ${unknown.join(', ')}; choose from ${METHOD_NAMES.join(', ')}`);
if (Boolean(values.interactions) !== Boolean(values.items))
  fail('give both --interactions and --items, or neither');

let log: LoggedInteraction[];
let catalog: CatalogItem[];
let source: string;
if (values.interactions && values.items) {
  const parsed = parseCatalog(await readFile(values.items, 'utf8'), catalogFormat(values.items));
  if (parsed.errors.length > 0 && !values['skip-invalid'])
    fail(
      `${values.items}: ${parsed.errors.length} invalid rows (npm run catalog:load -- ${values.items} --dry-run lists them; --skip-invalid leaves them out)`,
    );
  if (parsed.errors.length > 0)
    console.error(`${values.items}: skipped ${parsed.errors.length} invalid rows`);
  catalog = parsed.items;
  const text = await readFile(values.interactions, 'utf8');
  const rows = (
    catalogFormat(values.interactions) === 'csv'
      ? parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true })
      : JSON.parse(text)
  ) as Array<Record<string, string>>;
  let skipped = 0;
  log = rows.flatMap((r, i) => {
    const ts = new Date(r.ts ?? '');
    if (
      !r.customerId ||
      !r.itemId ||
      !EVENT_TYPES.includes(r.type as EventType) ||
      Number.isNaN(ts.getTime())
    ) {
      if (values['skip-invalid']) {
        skipped++;
        return [];
      }
      return fail(
        `${values.interactions} row ${i + 1}: needs customerId, itemId, type (${EVENT_TYPES.join('|')}) and an ISO ts (--skip-invalid leaves such rows out)`,
      );
    }
    return [
      {
        customerId: r.customerId,
        itemId: r.itemId,
        type: r.type as EventType,
        ts: ts.toISOString(),
      },
    ];
  });
  if (skipped > 0) console.error(`${values.interactions}: skipped ${skipped} invalid rows`);
  source = `${values.interactions} + ${values.items}`;
} else {
  const world = buildWorld(EVAL_DEMO_SEED);
  catalog = world.catalog;
  log = [...demoEvents(world, EVAL_DEMO_SEED)].flatMap((e) =>
    e.itemId ? [{ customerId: e.customerId, itemId: e.itemId, type: e.type, ts: e.ts }] : [],
  );
  source = `demo seed (${EVAL_DEMO_SEED.customers} customers, ${EVAL_DEMO_SEED.days} days, seed ${EVAL_DEMO_SEED.seed})`;
}

/** The demo is cut like the real-data protocol (first purchases in its last weeks) unless told otherwise. */
const demoCutoff =
  values.interactions === undefined && values['test-fraction'] === undefined
    ? new Date(EVAL_DEMO_SEED.end.getTime() - EVAL_DEMO_TEST_DAYS * 86_400_000).toISOString()
    : undefined;
const cutoff = values.cutoff ?? demoCutoff;
const split = cutoff === undefined ? timeSplit(log, testFraction) : cutoffSplit(log, cutoff);
console.log(
  `${source}: ${log.length} item interactions, ${catalog.length} items; train before ${split.cutoff} (${split.train.length}), test after (${split.test.length}); truth: ${split.truth === 'first-purchase' ? 'items first bought after the cut' : 'items first touched after the cut'}.`,
);
console.log(`hybrid weights: ${JSON.stringify({ ...weights, lm: 0 })}`);
const ease = `EASE (λ ${EASE_LAMBDA})`;
/** Each method: its short name for `--methods`, its label and how to build it. */
const METHODS: Array<[MethodName, string, () => Recommender | undefined]> = [
  ['popularity', 'popularity', () => popularityBaseline(split)],
  ['recent', 'popularity, last 28 days', () => popularityBaseline(split, 28)],
  ['knn', 'item-kNN', () => itemKnnBaseline(split)],
  ['ease', ease, () => easeBaseline(split)],
  ['hybrid', 'Muse hybrid (no LM)', () => hybridRecommender(split, catalog, { ...weights, lm: 0 })],
];
const methods = Object.fromEntries(
  METHODS.filter(([name]) => chosen.includes(name)).map(([, label, make]) => [label, make]),
);
const rows = [];
const four = (v: number) => v.toFixed(4);
for (const [name, make] of Object.entries(methods)) {
  const t0 = performance.now();
  const method = make();
  if (!method) {
    console.error(`${name}: skipped, the log has more than ${EASE_MAX_ITEMS} items`);
    continue;
  }
  let bar: Progress | undefined;
  const r = await evaluate(split, catalog.length, method, k, (done, total) => {
    bar ??= progressBar({ label: `${name} (customers)`, total, unit: 'count' });
    bar.update(done);
  });
  bar?.done();
  rows.push({
    method: name,
    [`NDCG@${k}`]: four(r.ndcg),
    [`recall@${k}`]: four(r.recall),
    coverage: four(r.coverage),
    users: r.users,
    seconds: ((performance.now() - t0) / 1000).toFixed(1),
  });
}
console.log(table(rows));
console.log(`Evaluated in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
