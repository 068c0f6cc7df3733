/**
 * The nightly job's pass over the whole base, one scan segment per task:
 * every task holds at most its own segment's customers, and what crosses
 * between tasks is small and mergeable (tallies, scales, scores). Three
 * steps, each resumable by run id:
 *
 * 1. {@link tallySegment}: a segment's histograms and message funnel;
 * 2. {@link fixScales}: the segments' tallies merged into the base's RFM
 *    scales (exact quantile boundaries: histograms add up);
 * 3. {@link scoreSegment}: a segment's customers scored against them, its
 *    part of `customers.csv` and `winback.csv` written, its counts saved.
 *
 * {@link loadBase} gives the final step the merged counts.
 */
import { mapLimit } from '../async.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import {
  type BaseCounts,
  type BaseScore,
  type BaseTally,
  countsOf,
  emptyScore,
  emptyTally,
  mergeScoreInto,
  mergeTallyInto,
  scoreBase,
  tallyBase,
} from './base.ts';
import { customersCsv, winbackCsv } from './customersCsv.ts';
import type { SavedBaseWork, ShardStore } from './mapDay.ts';
import type { ProfileStore } from './profileStore.ts';
import type { CustomerSummary } from './profiles.ts';
import type { ReportStore } from './report.ts';

/** The stores the pass over the base works on. */
export interface BaseDeps {
  shards: Pick<ShardStore, 'getBaseWork' | 'putBaseWork'>;
  profiles: Pick<ProfileStore, 'scanStates'>;
  reports: Pick<ReportStore, 'putPart'>;
  catalog: Pick<CatalogStore, 'getItems'>;
  erasures: Pick<ErasureStore, 'pending'>;
}

/** A run's pass over the base: the day, the run and how many scan segments the base is split into. */
export interface BaseRun {
  day: string;
  runId: string;
  segments: number;
}

const pad = (n: number) => String(n).padStart(4, '0');
/** Names of the pass's files under `insights/<day>/base/`. */
export const BASE_FILES = {
  tally: (segment: number) => `tally-${pad(segment)}`,
  scales: 'scales',
  score: (segment: number) => `score-${pad(segment)}`,
} as const;

/** Refuses a segment number the run does not have. */
function checkSegment(run: BaseRun, segment: number): void {
  if (!Number.isInteger(segment) || segment < 0 || segment >= run.segments) {
    throw new RangeError(
      `The base of ${run.day} is split into ${run.segments} segments; there is no segment ${segment}.`,
    );
  }
}

/** A file this run saved (same run id and segment count), or undefined. */
async function savedBy<T>(deps: BaseDeps, run: BaseRun, file: string): Promise<T | undefined> {
  const saved = await deps.shards.getBaseWork<T>(run.day, file);
  return saved?.runId === run.runId && saved.segments === run.segments ? saved.value : undefined;
}

function save<T>(deps: BaseDeps, run: BaseRun, file: string, value: T): Promise<void> {
  const saved: SavedBaseWork<T> = { runId: run.runId, segments: run.segments, value };
  return deps.shards.putBaseWork(run.day, file, saved);
}

const pendingErasures = async (deps: BaseDeps) =>
  new Set((await deps.erasures.pending()).map((p) => p.customerId));

const segmentOf = (run: BaseRun, segment: number) => ({
  segment,
  totalSegments: run.segments,
});

/**
 * Pass 1 for one segment: tallies its known customers (pending erasures
 * left out) and saves the tally. Reused when this run already saved it.
 */
export async function tallySegment(
  deps: BaseDeps,
  run: BaseRun,
  segment: number,
): Promise<{ tally: BaseTally; reused: boolean }> {
  checkSegment(run, segment);
  const file = BASE_FILES.tally(segment);
  const saved = await savedBy<BaseTally>(deps, run, file);
  if (saved) return { tally: saved, reused: true };
  const pages = deps.profiles.scanStates(segmentOf(run, segment));
  const tally = await tallyBase(pages, run.day, await pendingErasures(deps));
  await save(deps, run, file, tally);
  return { tally, reused: false };
}

/**
 * Between the passes: merges every segment's tally into the base's and
 * saves it (the scales pass 2 scores against). Refuses when a segment's
 * tally of this run is missing. Small whatever the base: three histograms.
 */
export async function fixScales(deps: BaseDeps, run: BaseRun): Promise<BaseTally> {
  const saved = await savedBy<BaseTally>(deps, run, BASE_FILES.scales);
  if (saved) return saved;
  const tally = emptyTally(run.day);
  const missing: number[] = [];
  const segments = Array.from({ length: run.segments }, (_, i) => i);
  await mapLimit(segments, 16, async (segment) => {
    const one = await savedBy<BaseTally>(deps, run, BASE_FILES.tally(segment));
    if (one) mergeTallyInto(tally, one);
    else missing.push(segment);
  });
  if (missing.length > 0) {
    throw new Error(
      `Run ${run.runId} has not tallied segment(s) ${missing.sort((a, b) => a - b).join(', ')} of ${run.day}'s base; tally them first.`,
    );
  }
  await save(deps, run, BASE_FILES.scales, tally);
  return tally;
}

/**
 * Pass 2 for one segment: scores its known customers against the base's
 * scales, writes its part of `customers.csv` (by id) and `winback.csv`
 * (highest value first), then saves its counts. Holds the segment's
 * summaries only. Reused when this run already saved its counts (the parts
 * were written before them).
 */
export async function scoreSegment(
  deps: BaseDeps,
  run: BaseRun,
  segment: number,
): Promise<{ score: BaseScore; reused: boolean }> {
  checkSegment(run, segment);
  const file = BASE_FILES.score(segment);
  const saved = await savedBy<BaseScore>(deps, run, file);
  if (saved) return { score: saved, reused: true };
  const tally = await savedBy<BaseTally>(deps, run, BASE_FILES.scales);
  if (!tally) {
    throw new Error(
      `Run ${run.runId} has not fixed the scales of ${run.day}'s base; tally every segment and fix them first.`,
    );
  }
  const summaries: CustomerSummary[] = [];
  const score = await scoreBase(
    deps.profiles.scanStates(segmentOf(run, segment)),
    run.day,
    tally.scales,
    await pendingErasures(deps),
    (s) => summaries.push(s),
  );
  const catalog = await deps.catalog.getItems([
    ...new Set(summaries.flatMap((s) => s.topItems.map((i) => i.itemId))),
  ]);
  await deps.reports.putPart(run.day, 'customers', segment, customersCsv(summaries, catalog));
  await deps.reports.putPart(run.day, 'winback', segment, winbackCsv(summaries, catalog));
  await save(deps, run, file, score);
  return { score, reused: false };
}

/** The base as the final step sees it: the merged tally (its scales) and counts. */
export interface LoadedBase {
  tally: BaseTally;
  counts: BaseCounts;
}

/**
 * The final step's view of the base: the merged tally and every segment's
 * score, summed. Refuses when a segment's score of this run is missing.
 */
export async function loadBase(deps: BaseDeps, run: BaseRun): Promise<LoadedBase> {
  const tally = await savedBy<BaseTally>(deps, run, BASE_FILES.scales);
  const score = emptyScore(run.day);
  const missing: number[] = [];
  const segments = Array.from({ length: run.segments }, (_, i) => i);
  await mapLimit(segments, 16, async (segment) => {
    const one = await savedBy<BaseScore>(deps, run, BASE_FILES.score(segment));
    if (one) mergeScoreInto(score, one);
    else missing.push(segment);
  });
  if (!tally || missing.length > 0) {
    throw new Error(
      `Run ${run.runId} has not scored ${tally ? `segment(s) ${missing.sort((a, b) => a - b).join(', ')}` : 'any segment'} of ${run.day}'s base; score them first.`,
    );
  }
  return { tally, counts: countsOf(tally, score) };
}

/** Options of {@link assessBaseBySegment}. */
export interface BySegmentOptions {
  /** Segments worked on at once (default 4). */
  concurrency?: number;
  onSegment?: (pass: 'tally' | 'score', segment: number, reused: boolean) => void;
}

/**
 * The whole pass in one process, in the shape the state machine runs it
 * (the local and single-machine path): every segment's tally, the scales,
 * every segment's score, `concurrency` segments at a time.
 */
export async function assessBaseBySegment(
  deps: BaseDeps,
  run: BaseRun,
  options: BySegmentOptions = {},
): Promise<LoadedBase> {
  const segments = Array.from({ length: run.segments }, (_, i) => i);
  const concurrency = options.concurrency ?? 4;
  await mapLimit(segments, concurrency, async (segment) => {
    const { reused } = await tallySegment(deps, run, segment);
    options.onSegment?.('tally', segment, reused);
  });
  await fixScales(deps, run);
  await mapLimit(segments, concurrency, async (segment) => {
    const { reused } = await scoreSegment(deps, run, segment);
    options.onSegment?.('score', segment, reused);
  });
  return loadBase(deps, run);
}
