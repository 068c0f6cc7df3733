import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#lib/aws/clients.ts';
import { type CatalogStore, DynamoCatalogStore, writeCatalog } from '#lib/catalog/store.ts';
import { config } from '#lib/config.ts';
import { DynamoVariantStore, type VariantStore } from '#lib/copy/variants.ts';
import { addDays, daysFrom, yesterday } from '#lib/days.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { runNightly } from '#lib/insights/nightly.ts';
import type { Language } from '#lib/model/language.ts';
import { type DemoLoadResult, type EventSink, loadDemoData } from '#tools/demo/load.ts';
import type { DemoWorld, SeedOptions } from '#tools/demo/seed.ts';
import { callAdmin } from './adminClient.ts';

/** The small data set `npm start` loads on first start, so the stack is never empty. */
export const FIRST_START_SEED = { customers: 300, days: 30, events: 16_000, seed: 1 } as const;

/** A sink that ingests in this process, through the same code as `POST /events`. */
export function inProcessSink(): EventSink {
  const cfg = config();
  const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
  return (batch) =>
    ingestEntries(store, batch, {
      now: new Date(),
      retentionDays: cfg.events.retentionDays,
      shards: cfg.events.shards,
    });
}

/** A sink that posts to a running `npm start` bridge (which owns the DynamoDB data). */
export function httpSink(baseUrl: string): EventSink {
  return async (batch) => {
    const res = await fetch(`${baseUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    const body = (await res.json()) as Awaited<ReturnType<EventSink>> & {
      error?: { message: string };
    };
    if (res.status >= 300 && res.status !== 207) {
      throw new Error(`POST /events answered ${res.status}: ${body.error?.message ?? ''}`);
    }
    return body;
  };
}

/** Writes catalog items and registers copy variants: what the demo and `catalog:load` store. */
export interface WorldWriter {
  putItems: CatalogStore['putItems'];
  register: VariantStore['register'];
}

async function postLocal(baseUrl: string, path: string, body: unknown): Promise<void> {
  const { status, text } = await callAdmin(baseUrl, path, body);
  if (status !== 200) {
    const answer = (() => {
      try {
        return JSON.parse(text) as { error?: { message?: string } };
      } catch {
        return {};
      }
    })();
    throw new Error(`POST ${path} answered ${status}: ${answer.error?.message ?? ''}`);
  }
}

/** Where the world is written: the app table in process, or a running `npm start` (which owns it). */
export function worldWriter(baseUrl?: string): WorldWriter {
  if (!baseUrl) {
    const catalog = new DynamoCatalogStore(documentClient(), config().appTable);
    const variants = new DynamoVariantStore(documentClient(), config().appTable);
    return {
      putItems: (items) => catalog.putItems(items),
      register: (list) => variants.register(list),
    };
  }
  return {
    putItems: (items) => postLocal(baseUrl, '/_local/catalog', { items }),
    register: (variants) => postLocal(baseUrl, '/_local/variants', { variants }),
  };
}

/**
 * Stores the demo world in the app table: its catalog, and its campaigns'
 * copy variants registered like `POST /generate`'s (email campaigns as
 * email subjects, SMS as SMS), so the nightly job can learn exemplars from
 * them.
 */
export async function storeDemoWorld(writer: WorldWriter, world: DemoWorld): Promise<void> {
  await writeCatalog(writer, world.catalog);
  await writer.register(
    world.campaigns.flatMap((c) =>
      c.variants.map((v) => ({
        variantId: v.variantId,
        kind: c.channel === 'sms' ? ('sms' as const) : ('email_subject' as const),
        text: v.copy,
        category: c.category,
      })),
    ),
  );
}

/**
 * Writes the demo world's catalog, campaigns and customers (with their hidden
 * traits, for evaluation) under `<dataDir>/seed/`; `npm run catalog:load`
 * reads the catalog from there.
 */
export async function writeDemoWorld(
  dataDir: string,
  world: DemoWorld,
  options: SeedOptions,
): Promise<string> {
  const dir = join(dataDir, 'seed');
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'catalog.json'), `${JSON.stringify(world.catalog, null, 2)}\n`),
    writeFile(join(dir, 'campaigns.json'), `${JSON.stringify(world.campaigns, null, 2)}\n`),
    writeFile(join(dir, 'customers.json'), `${JSON.stringify(world.customers)}\n`),
    writeFile(join(dir, 'options.json'), `${JSON.stringify(options, null, 2)}\n`),
  ]);
  return dir;
}

/** The language of the demo world last seeded into `dataDir` (`en` when none was). */
export async function seededLanguage(dataDir: string): Promise<Language> {
  const text = await readFile(join(dataDir, 'seed', 'options.json'), 'utf8').catch(() => '{}');
  return (JSON.parse(text) as { language?: Language }).language === 'zh' ? 'zh' : 'en';
}

/** True when the events table holds no event at all. */
export async function eventsTableEmpty(): Promise<boolean> {
  const out = await documentClient().send(
    new ScanCommand({ TableName: config().eventsTable, Limit: 1, ProjectionExpression: 'pk' }),
  );
  return (out.Items ?? []).length === 0;
}

/** Seeds the first-start data set in process; returns what was loaded. */
export async function seedFirstStart(
  dataDir: string,
  end: Date,
  language: Language = 'en',
): Promise<DemoLoadResult> {
  const options: SeedOptions = { ...FIRST_START_SEED, end, language };
  const result = await loadDemoData(inProcessSink(), options);
  await writeDemoWorld(dataDir, result.world, options);
  await storeDemoWorld(worldWriter(), result.world);
  return result;
}

/**
 * Runs the nightly job over every seeded day, oldest first, so a first start
 * already has profiles, campaign learning, recommendation signals and a
 * report. Returns how many days ran.
 */
export async function backfillInsights(
  end: Date,
  onDay?: (done: number, total: number) => void,
): Promise<number> {
  const last = yesterday(end);
  const first = addDays(last, -(FIRST_START_SEED.days - 1));
  const days = daysFrom(first, last);
  const deps = nightlyDeps();
  const runId = `first-start-${end.getTime()}`;
  for (const [i, day] of days.entries()) {
    await runNightly(deps, day, runId);
    onDay?.(i + 1, days.length);
  }
  return days.length;
}
