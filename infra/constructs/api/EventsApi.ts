import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_PARTITIONS, FUNCTION_TIMEOUT_SECONDS } from '#lib/aws/resources.ts';
import { DEFAULT_EVENT_SHARDS, DEFAULT_RETENTION_DAYS, ENV } from '#lib/envNames.ts';
import { CUSTOMER_INDEX } from '#lib/events/keys.ts';
import { UrlFunction } from '../UrlFunction.ts';
import { type ApiOptions, commonProps } from './options.ts';

/** Props for {@link EventsApi}. */
export interface EventsApiProps extends ApiOptions {
  /** Days engagement events are kept (TTL; default 400). */
  eventRetentionDays?: number;
  /** Shards a day's events are written in (default 16; each day keeps the count it was written with). */
  eventShards?: number;
}

/** `POST /events` and `DELETE /customers/{id}`: writes events; erases a customer everywhere. */
export class EventsApi extends Construct {
  readonly fn: UrlFunction;

  constructor(scope: Construct, id: string, props: EventsApiProps) {
    super(scope, id);
    const { eventsTable, appTable } = props.storage;
    // Validates and batch-writes up to 500 events: 512 MB is plenty; 30 s covers
    // the 8 s retry deadline for throttled writes and the erasure of a customer
    // with tens of thousands of events.
    this.fn = new UrlFunction(this, 'Events', {
      ...commonProps('events', props),
      description: 'Muse: engagement events ingestion and customer erasure',
      memorySize: 512,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.events),
    });
    this.fn.setEnv(
      ENV.eventRetentionDays,
      String(props.eventRetentionDays ?? DEFAULT_RETENTION_DAYS),
    );
    this.fn.setEnv(ENV.eventShards, String(props.eventShards ?? DEFAULT_EVENT_SHARDS));
    // Conditional puts of events and their eventId records (and reads of a
    // record a copy finds); erasure finds a customer's items through the
    // customer index only and deletes them in batches.
    this.fn.useTable(
      eventsTable,
      ENV.eventsTable,
      { actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem'] },
      { actions: ['dynamodb:Query'], index: CUSTOMER_INDEX },
    );
    // Erasure: the customer's own partition of the app table, and the erasure
    // records (written first; the nightly job cleans stored reports, so this
    // function touches no S3 object).
    this.fn.useTable(
      appTable,
      ENV.appTable,
      {
        actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        partitions: [`${APP_PARTITIONS.customerPrefix}*`],
      },
      {
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem'],
        partitions: [APP_PARTITIONS.erasures],
      },
    );
  }
}
