import type { EngagementEvent } from '#lib/events/schema.ts';
import { buildWorld, type DemoWorld, demoEvents, type SeedOptions } from './seed.ts';

/** Stores one batch of events and says what happened (the ingestion result). */
export type EventSink = (
  batch: EngagementEvent[],
) => Promise<{ accepted: number; duplicates: number; errors: unknown[]; failed: unknown[] }>;

/** Totals of a demo load. */
export interface DemoLoadResult {
  world: DemoWorld;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failed: number;
  elapsedMs: number;
}

/** Events per batch: the `POST /events` limit. */
export const DEMO_BATCH = 500;

/**
 * Generates the demo world and sends its events to `sink` in batches of 500
 * (a few batches in flight), so they go through the ingestion code like any
 * client's. Reports progress as events sent.
 *
 * @example
 * ```ts
 * const result = await loadDemoData((batch) => ingestEntries(store, batch, clock), options);
 * ```
 */
export async function loadDemoData(
  sink: EventSink,
  options: SeedOptions,
  onProgress?: (sent: number) => void,
  concurrency = 4,
): Promise<DemoLoadResult> {
  const started = performance.now();
  const world = buildWorld(options);
  const totals = { events: 0, accepted: 0, duplicates: 0, rejected: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const send = (batch: EngagementEvent[]) => {
    const p: Promise<void> = sink(batch)
      .then((r) => {
        totals.accepted += r.accepted;
        totals.duplicates += r.duplicates;
        totals.rejected += r.errors.length;
        totals.failed += r.failed.length;
        totals.events += batch.length;
        onProgress?.(totals.events);
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  let batch: EngagementEvent[] = [];
  for (const event of demoEvents(world, options)) {
    batch.push(event);
    if (batch.length < DEMO_BATCH) continue;
    send(batch);
    batch = [];
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) break;
  }
  if (batch.length > 0 && !failure) send(batch);
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { world, ...totals, elapsedMs: performance.now() - started };
}
