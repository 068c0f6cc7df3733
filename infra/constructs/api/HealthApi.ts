import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS, PREFIXES } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { UrlFunction } from '../UrlFunction.ts';
import { type ApiOptions, commonProps, DEFAULT_MODEL_ID, type ModelChoice } from './options.ts';

/** `GET /health`: describes the tables and heads the buckets; reads nothing else. */
export class HealthApi extends Construct {
  readonly fn: UrlFunction;

  constructor(scope: Construct, id: string, options: ApiOptions & ModelChoice) {
    super(scope, id);
    const { appTable, eventsTable, modelBucket, reportsBucket } = options.storage;
    // Tiny memory, short timeout: a few control-plane calls.
    this.fn = new UrlFunction(this, 'Health', {
      ...commonProps('health', options),
      description: 'Muse: status of tables and buckets',
      memorySize: 256,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.health),
    });
    const describe = { actions: ['dynamodb:DescribeTable'] };
    this.fn.useTable(appTable, ENV.appTable, describe);
    this.fn.useTable(eventsTable, ENV.eventsTable, describe);
    // HeadBucket is authorised by s3:ListBucket on the bucket itself.
    const head = { bucketActions: ['s3:ListBucket'] };
    // ...and reads the model's pointer and manifest and heads its files (GetObject allows both).
    this.fn.useBucket(modelBucket, ENV.modelBucket, head, {
      actions: ['s3:GetObject'],
      prefixes: [PREFIXES.models],
      why: 'health reads the model manifest and checks the files it lists are there',
    });
    this.fn.useBucket(reportsBucket, ENV.reportsBucket, head);
    // It names the model it would serve (it does not load it).
    this.fn.setEnv(ENV.modelId, options.modelId ?? DEFAULT_MODEL_ID);
    this.fn.setEnv(ENV.modelVersion, options.modelVersion ?? 'current');
  }
}
