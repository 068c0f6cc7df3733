import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_PARTITIONS, PREFIXES } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { CUSTOMER_INDEX } from '#lib/events/keys.ts';
import { UrlFunction } from '../UrlFunction.ts';
import { type ApiOptions, commonProps } from './options.ts';

/** Props for {@link EventsApi}. */
export interface EventsApiProps extends ApiOptions {
  /** Days engagement events are kept (TTL; default 400). */
  eventRetentionDays?: number;
}

/** `POST /events` and `DELETE /customers/{id}`: writes events; erases a customer everywhere. */
export class EventsApi extends Construct {
  readonly fn: UrlFunction;

  constructor(scope: Construct, id: string, props: EventsApiProps) {
    super(scope, id);
    const { eventsTable, appTable, reportsBucket } = props.storage;
    // Validates and batch-writes up to 500 events: 512 MB is plenty; 30 s covers
    // the 8 s retry deadline for throttled writes and the erasure of a customer
    // with tens of thousands of events.
    this.fn = new UrlFunction(this, 'Events', {
      ...commonProps('events', props),
      description: 'Muse: engagement events ingestion and customer erasure',
      memorySize: 512,
      timeout: Duration.seconds(30),
    });
    this.fn.setEnv(ENV.eventRetentionDays, String(props.eventRetentionDays ?? 400));
    // Writes (and the dedupe read) on the events table; erasure finds a
    // customer's events through the customer index only.
    this.fn.useTable(
      eventsTable,
      ENV.eventsTable,
      { actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] },
      { actions: ['dynamodb:Query'], index: CUSTOMER_INDEX },
    );
    // Erasure of profiles: customer partitions of the app table only.
    this.fn.useTable(appTable, ENV.appTable, {
      actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
      partitions: [`${APP_PARTITIONS.customerPrefix}*`],
    });
    // Erasure from stored reports and the nightly job's working files: only those prefixes.
    this.fn.useBucket(reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject', 's3:PutObject'],
      prefixes: [PREFIXES.reports, PREFIXES.insights],
      why: 'erasure rewrites stored reports and job files without the erased customer',
      list: true,
    });
  }
}
