import { documentClient, s3Client } from '../aws/clients.ts';
import { DynamoCatalogStore } from '../catalog/store.ts';
import { config } from '../config.ts';
import { DynamoVariantStore } from '../copy/variants.ts';
import { DynamoEventStore, type EventStore } from '../events/store.ts';
import { DynamoErasureStore } from '../privacy/erasures.ts';
import type { BaseDeps } from './baseJob.ts';
import { DynamoCampaignStore } from './campaignStore.ts';
import { S3ShardStore } from './mapDay.ts';
import type { NightlyDeps, ReduceDeps, ShardDeps } from './nightly.ts';
import { DynamoProfileStore } from './profileStore.ts';
import { S3ReportStore } from './report.ts';
import { s3Compactor } from './reportsEraser.ts';
import { S3SignalStore } from './signals.ts';

/** The plan step's store: the events table (the day's shard layout), from the configuration. */
export function planDeps(): { events: EventStore } {
  return { events: new DynamoEventStore(documentClient(), config().eventsTable) };
}

/**
 * The shard step's stores: the events table, the shard partials and
 * summaries, the profiles of the shard's customers and the pending
 * erasures, from the configuration.
 */
export function mapDeps(): ShardDeps {
  const cfg = config();
  return {
    events: new DynamoEventStore(documentClient(), cfg.eventsTable),
    shards: new S3ShardStore(s3Client(), cfg.reportsBucket),
    profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
    erasures: new DynamoErasureStore(documentClient(), cfg.appTable),
  };
}

/**
 * The base steps' stores: the profiles (scanned by segment), the job's base
 * files, the report parts, the catalog (top categories) and the pending
 * erasures, from the configuration.
 */
export function baseDeps(): BaseDeps {
  const cfg = config();
  return {
    shards: new S3ShardStore(s3Client(), cfg.reportsBucket),
    profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
    reports: new S3ReportStore(s3Client(), cfg.reportsBucket),
    catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
    erasures: new DynamoErasureStore(documentClient(), cfg.appTable),
  };
}

/** The reduce step's stores (no events table), from the configuration. */
export function reduceDeps(): ReduceDeps {
  const cfg = config();
  return {
    shards: new S3ShardStore(s3Client(), cfg.reportsBucket),
    profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
    campaigns: new DynamoCampaignStore(documentClient(), cfg.appTable),
    reports: new S3ReportStore(s3Client(), cfg.reportsBucket),
    signals: new S3SignalStore(s3Client(), cfg.reportsBucket),
    catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
    variants: new DynamoVariantStore(documentClient(), cfg.appTable),
    erasures: new DynamoErasureStore(documentClient(), cfg.appTable),
    compactor: s3Compactor(s3Client(), cfg.reportsBucket),
    currency: cfg.insights.currency,
  };
}

/** Every store of the nightly job (the local stack and CLIs run both steps in one process). */
export function nightlyDeps(): NightlyDeps {
  return { ...reduceDeps(), ...mapDeps() };
}
