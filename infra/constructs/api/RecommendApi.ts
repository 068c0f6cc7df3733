import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_PARTITIONS, FUNCTION_TIMEOUT_SECONDS, PREFIXES } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { CUSTOMER_INDEX } from '#lib/events/keys.ts';
import { UrlFunction } from '../UrlFunction.ts';
import {
  type ApiOptions,
  commonProps,
  MODEL_FUNCTION,
  type ModelChoice,
  useModel,
} from './options.ts';

/** `POST /recommend`: reads a customer's history, the catalog, the signals and the model; writes nothing. */
export class RecommendApi extends Construct {
  readonly fn: UrlFunction;

  constructor(scope: Construct, id: string, options: ApiOptions & ModelChoice) {
    super(scope, id);
    const { eventsTable, appTable, reportsBucket } = options.storage;
    // Scoring, not sampling (~30 candidates × ~10 tokens in a few batched
    // forwards); 30 s covers a cold start plus the catalog and signals loads.
    this.fn = new UrlFunction(this, 'Recommend', {
      ...commonProps('recommend', options),
      ...MODEL_FUNCTION,
      description: 'Muse: product recommendations re-ranked by GPT-2, with reasons',
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.recommend),
    });
    // A customer's recent events through the customer index; nothing else of the events table.
    this.fn.useTable(eventsTable, ENV.eventsTable, {
      actions: ['dynamodb:Query'],
      index: CUSTOMER_INDEX,
    });
    // The catalog partition only (one paginated Query per container and 5 minutes).
    this.fn.useTable(appTable, ENV.appTable, {
      actions: ['dynamodb:Query'],
      partitions: [APP_PARTITIONS.catalog],
    });
    useModel(this.fn, options.storage, options);
    // The nightly signals, read-only; ListBucket makes "no signals yet" a 404.
    this.fn.useBucket(reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject'],
      prefixes: [PREFIXES.signals],
      why: 'recommend reads the latest nightly recommendation signals',
      list: true,
    });
  }
}
