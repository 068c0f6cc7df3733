/**
 * What recommendations read from the nightly job: co-visitation neighbours,
 * popularity (overall and per category) and trending items, as of a day.
 * Declared here, by the capability that uses them; the nightly job
 * (`lib/insights/signals.ts`) computes and stores exactly this shape.
 */

/** An item co-visited with another. */
export interface Neighbour {
  itemId: string;
  /** Sessions in the window that held both items. */
  sessions: number;
  /** The same, each session weighted by its age (a 14-day half-life, set by the nightly job). */
  score: number;
  /**
   * The item-item model's weight of this neighbour (EASE over the window's
   * sessions; neighbours are ranked by it). Absent in signals written before
   * the model: readers then use `score`.
   */
  weight?: number;
}

/** An item's popularity: its age-weighted interaction score. */
export interface Popular {
  itemId: string;
  score: number;
}

/** An item whose recent interactions rose above its baseline. */
export interface Trending {
  itemId: string;
  /** Weighted interactions per day in the last 7 days. */
  recentPerDay: number;
  /** Weighted interactions per day in the rest of the window. */
  baselinePerDay: number;
  /** `(recentPerDay + 1) / (baselinePerDay + 1)`: the +1 keeps one-off spikes of rare items modest. */
  lift: number;
}

/** The signals as of a day. */
export interface RecommendationSignals {
  day: string;
  windowDays: number;
  /** Days of the window that had stored activity. */
  daysWithData: number;
  /** Per item, its top co-visited items (best first). */
  neighbours: Record<string, Neighbour[]>;
  popular: Popular[];
  /**
   * Every item with activity in the window and its popularity score (the
   * lists above hold only the top ones). Absent in signals written before it
   * existed; readers then fall back to the lists.
   */
  popularity?: Record<string, number>;
  /** Per catalog category, its most popular items (items not in the catalog are left out). */
  popularByCategory: Record<string, Popular[]>;
  trending: Trending[];
}

/** Where recommendations read the signals from (the composition root wires the nightly job's store). */
export interface SignalReader {
  /** The signals of a day, or the latest when no day is given. */
  getSignals(day?: string): Promise<RecommendationSignals | undefined>;
}
