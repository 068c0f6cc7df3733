import type { S3Client } from '@aws-sdk/client-s3';
import { KEYS } from '../aws/resources.ts';
import { getJson, putJson } from '../aws/s3json.ts';
import { addDays, windowEndingAt } from '../days.ts';

/** One customer's RFM inputs as of their last active day. */
export interface PopulationEntry {
  id: string;
  /** Last active UTC day. */
  lastDay: string;
  /** 90-day purchases and revenue as of that day. */
  f: number;
  m: number;
}

/**
 * The population index: each night's active customers with their RFM
 * inputs, one object per day. Scoring a day reads the window's objects, so
 * the cost is O(customers active in the window), never O(all customers).
 * One S3 implementation ({@link S3PopulationStore}).
 */
export interface PopulationStore {
  get(day: string): Promise<PopulationEntry[] | undefined>;
  put(day: string, entries: readonly PopulationEntry[]): Promise<void>;
}

/** S3 key of a day's population entries (they name customers: erasure covers `insights/`). */
export const populationKey = KEYS.population;

/** {@link PopulationStore} on S3 under `insights/<day>/population.json`. */
export class S3PopulationStore implements PopulationStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  get(day: string): Promise<PopulationEntry[] | undefined> {
    return getJson<PopulationEntry[]>(this.s3, this.bucket, populationKey(day));
  }

  put(day: string, entries: readonly PopulationEntry[]): Promise<void> {
    return putJson(this.s3, this.bucket, populationKey(day), entries);
  }
}

/**
 * The active population for scoring `day`: every customer seen in the
 * `windowDays` days up to `day`, each with their latest entry; `today`'s
 * entries (computed now) win over stored ones.
 */
export async function activePopulation(
  store: PopulationStore,
  day: string,
  today: readonly PopulationEntry[],
  windowDays = 90,
): Promise<PopulationEntry[]> {
  const days = windowEndingAt(addDays(day, -1), windowDays - 1);
  const stored = await Promise.all(days.map((d) => store.get(d)));
  const latest = new Map<string, PopulationEntry>();
  for (const entries of stored) for (const e of entries ?? []) latest.set(e.id, e);
  for (const e of today) latest.set(e.id, e);
  return [...latest.values()];
}
