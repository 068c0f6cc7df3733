/**
 * The storage Muse needs, described once. The CDK stack (`infra/`) creates
 * these in AWS and the local stack (`local/provision.ts`) creates the same
 * keys, indexes and buckets in dynalite and s3rver, so the two cannot drift.
 */

/** A key attribute of a table or index. */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

/** A global secondary index (all attributes projected). */
export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

/** A DynamoDB table: keys, indexes and TTL attribute. */
export interface TableDefinition {
  /** Logical id in the stack and the local name suffix (`muse-<id>`). */
  id: 'app' | 'events';
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  globalSecondaryIndexes: IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry, if the table uses TTL. */
  timeToLiveAttribute?: string;
}

/** An S3 bucket. */
export interface BucketDefinition {
  /** Logical id in the stack and the local name suffix (`muse-<id>`). */
  id: 'models' | 'reports';
  /** Whether to keep object versions (models: yes, for rollbacks). */
  versioned: boolean;
  /**
   * Key prefixes whose objects expire after the event retention: what is
   * derived from events (S3 lifecycle rules in AWS, the TTL sweep locally).
   */
  expiringPrefixes: readonly string[];
}

/**
 * Application table: customer profiles, campaigns, catalog items, co-visitation
 * counts and job state, single-table design with `pk`/`sk`.
 */
export const APP_TABLE: TableDefinition = {
  id: 'app',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Events table: partition `D#<day>#<shard>` so a day splits into a fixed
 * number of shards read in parallel; sort key `<ts>#<eventId>`; index
 * `byCustomer` (`customerKey` = `C#<customerId>`, sort `ts#eventId`) for a
 * customer's history; `expiresAt` TTL for retention.
 */
export const EVENTS_TABLE: TableDefinition = {
  id: 'events',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byCustomer',
      partitionKey: { name: 'customerKey', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/** Top-level prefixes of the buckets: IAM object grants are written per prefix. */
export const PREFIXES = {
  /** Model bucket: published models. */
  models: 'models/',
  /** Reports bucket: nightly reports (per customer CSV rows, aggregates). */
  reports: 'reports/',
  /** Reports bucket: the nightly job's working files (shard summaries, older shard partials, map-run results). */
  insights: 'insights/',
  /** Reports bucket: recommendation signals (no customer ids). */
  signals: 'signals/',
} as const;

/** Model bucket: `models/<id>/<version>/…` plus `models/<id>/current`. */
export const MODELS_BUCKET: BucketDefinition = {
  id: 'models',
  versioned: true,
  expiringPrefixes: [],
};

/** Reports bucket: `reports/<date>/…` written by the nightly job. */
export const REPORTS_BUCKET: BucketDefinition = {
  id: 'reports',
  versioned: false,
  // Every prefix: reports (per-customer CSV rows), job files and signals all derive from events.
  expiringPrefixes: [PREFIXES.reports, PREFIXES.insights, PREFIXES.signals],
};

/** Every table Muse uses. */
export const TABLES: readonly TableDefinition[] = [APP_TABLE, EVENTS_TABLE];

/** Every bucket Muse uses. */
export const BUCKETS: readonly BucketDefinition[] = [MODELS_BUCKET, REPORTS_BUCKET];

/** The name a resource gets in the local emulators, e.g. `muse-events`. */
export function localName(resource: { id: string }): string {
  return `muse-${resource.id}`;
}

/**
 * Partition keys of the app table (values, or prefixes followed by an id).
 * The stores build their keys from these and `infra/` writes the same values
 * into `dynamodb:LeadingKeys` conditions, so a grant always matches the data.
 *
 * | partition | sort keys | holds |
 * |---|---|---|
 * | `CUSTOMER#<id>` | `PROFILE` | the customer's profile state (facts; summaries are derived as of the served day) |
 * | `CAMPAIGN#<id>` | `STATE` | a campaign's accumulated variant counts |
 * | `VARIANT#<id>` | `VARIANT` | a registered copy variant |
 * | `EXEMPLARS` | `<kind>` | the exemplars quoted in prompts of a kind |
 * | `CATALOG` | `ITEM#<id>` | catalog items |
 * | `INSIGHTS` | `AS_OF` | the day summaries are served as of, and that day's RFM scales |
 * | `ERASURES` | `<customerId>` | pending erasure requests (until the nightly job cleaned every stored object) |
 */
export const APP_PARTITIONS = {
  customerPrefix: 'CUSTOMER#',
  campaignPrefix: 'CAMPAIGN#',
  variantPrefix: 'VARIANT#',
  exemplars: 'EXEMPLARS',
  catalog: 'CATALOG',
  erasures: 'ERASURES',
  insights: 'INSIGHTS',
} as const;

const pad2 = (n: number) => String(n).padStart(2, '0');
const pad4 = (n: number) => String(n).padStart(4, '0');

/** Every S3 key Muse reads or writes, built from {@link PREFIXES}. */
export const KEYS = {
  /** Folder of a published model version. */
  modelVersion: (id: string, version: string) => `${PREFIXES.models}${id}/${version}/`,
  /** Pointer naming the version `current` means. */
  modelCurrent: (id: string) => `${PREFIXES.models}${id}/current`,
  reportSummary: (day: string) => `${PREFIXES.reports}${day}/summary.json`,
  reportCustomers: (day: string) => `${PREFIXES.reports}${day}/customers.csv`,
  /** A day's win-back list (at_risk, hibernating and lost customers, highest value first). */
  reportWinback: (day: string) => `${PREFIXES.reports}${day}/winback.csv`,
  /**
   * One part of a day's customer list (`customers` or `winback`): the rows
   * of one scan segment of the base, written by that segment's task. The
   * served list is the parts in order.
   */
  reportPart: (day: string, list: string, part: number) =>
    `${PREFIXES.reports}${day}/${list}/part-${pad4(part)}.csv`,
  reportHtml: (day: string) => `${PREFIXES.reports}${day}/report.html`,
  /** Pointer to the latest report. */
  latestReport: `${PREFIXES.reports}latest.json`,
  /** A shard's saved partial of a day, as runs before the per-shard reduce wrote it (erasure still cleans them). */
  shard: (day: string, shard: number) => `${PREFIXES.insights}${day}/shards/${pad2(shard)}.json`,
  /** A shard's reduced day: its summary (no customer ids), once its profiles are written. */
  shardSummary: (day: string, shard: number) =>
    `${PREFIXES.insights}${day}/summaries/${pad2(shard)}.json`,
  /** A file of the nightly job's pass over the whole base (tallies, scales, scores: no customer ids). */
  baseWork: (day: string, file: string) => `${PREFIXES.insights}${day}/base/${file}.json`,
  /** A day's item activity (signals input). */
  signalsItemDay: (day: string) => `${PREFIXES.signals}days/${day}.json`,
  signals: (day: string) => `${PREFIXES.signals}${day}.json`,
  latestSignals: `${PREFIXES.signals}latest.json`,
} as const;

/** Which stored objects hold customer ids, by what ends their key (erasure rewrites them). */
export const CUSTOMER_OBJECTS = {
  /**
   * Per-customer CSVs of the reports (every row starts with the customer
   * id): every CSV under `reports/`, whole lists of older days and the
   * per-segment parts alike.
   */
  reportCsvs: { prefix: PREFIXES.reports, suffixes: ['.csv'] },
  shard: { prefix: PREFIXES.insights, contains: '/shards/' },
} as const;

/**
 * Each HTTP function's timeout in seconds: CDK sets it, and the local bridge
 * gives each call the same deadline, so a function that watches its deadline
 * (generate stops decoding in time) behaves alike in both.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  health: 10,
  /**
   * The largest copy request the token budget admits (16 × 256 tokens)
   * took 43.9–55.8 s on the gpt2 shape with one intra-op thread (the
   * generate function's default one vCPU; 35.5–40.7 s with two) on this
   * machine on 2026-12-03 (`npm run bench -- --suites sizing`, "largest
   * request", and a first run of the same calls).
   * × 2 for Lambda's per-core speed, plus a cold start and the 3 s
   * reserve, is ~120 s. Requests the time left cannot hold are refused or
   * truncated by the deadline check, whatever this is.
   */
  generate: 120,
  events: 30,
  insights: 60,
  recommend: 30,
} as const;
