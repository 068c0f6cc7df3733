import { documentClient, s3Client } from '../aws/clients.ts';
import { DynamoCatalogStore } from '../catalog/store.ts';
import { config } from '../config.ts';
import { DynamoVariantStore } from '../copy/variants.ts';
import { DynamoEventStore } from '../events/store.ts';
import { DynamoCampaignStore } from './campaignStore.ts';
import { S3ShardStore } from './mapDay.ts';
import type { NightlyDeps } from './nightly.ts';
import { S3PopulationStore } from './population.ts';
import { DynamoProfileStore } from './profileStore.ts';
import { S3ReportStore } from './report.ts';
import { S3SignalStore } from './signals.ts';

/** The nightly job's stores, built from the process configuration. */
export function nightlyDeps(): NightlyDeps {
  const cfg = config();
  return {
    events: new DynamoEventStore(documentClient(), cfg.eventsTable),
    shards: new S3ShardStore(s3Client(), cfg.reportsBucket),
    profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
    population: new S3PopulationStore(s3Client(), cfg.reportsBucket),
    campaigns: new DynamoCampaignStore(documentClient(), cfg.appTable),
    reports: new S3ReportStore(s3Client(), cfg.reportsBucket),
    signals: new S3SignalStore(s3Client(), cfg.reportsBucket),
    catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
    variants: new DynamoVariantStore(documentClient(), cfg.appTable),
  };
}

/** The UTC day before `now` (`yyyy-mm-dd`): what a nightly run aggregates. */
export function yesterday(now: Date = new Date()): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** The UTC days from `from` to `to`, both included, in order (`yyyy-mm-dd`). */
export function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`);
    t += 86_400_000
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
