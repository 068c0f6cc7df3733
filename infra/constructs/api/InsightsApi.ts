import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { APP_PARTITIONS, FUNCTION_TIMEOUT_SECONDS, PREFIXES } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { UrlFunction } from '../UrlFunction.ts';
import { type ApiOptions, commonProps } from './options.ts';

/** `GET /insights/{id}` and `GET /reports/{date}`: one profile item or one report object per request. */
export class InsightsApi extends Construct {
  readonly fn: UrlFunction;

  constructor(scope: Construct, id: string, options: ApiOptions) {
    super(scope, id);
    // Small and quick.
    this.fn = new UrlFunction(this, 'Insights', {
      ...commonProps('insights', options),
      description: 'Muse: customer insight summaries and nightly reports',
      memorySize: 256,
      // Streamed: a customer list is sent a part at a time (one part in memory), past the
      // 6 MB buffered response cap; 60 s covers ~200 parts.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.insights),
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    // Read-only, one item at a time, customer partitions only.
    this.fn.useTable(
      options.storage.appTable,
      ENV.appTable,
      // A profile and the served day (INSIGHTS/AS_OF) its summary is derived as of.
      {
        actions: ['dynamodb:GetItem'],
        partitions: [`${APP_PARTITIONS.customerPrefix}*`, APP_PARTITIONS.insights],
      },
      // Pending erasures: hidden from what it serves.
      { actions: ['dynamodb:GetItem', 'dynamodb:Query'], partitions: [APP_PARTITIONS.erasures] },
    );
    // Reports only (not the job's insights/ working files).
    this.fn.useBucket(options.storage.reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject'],
      prefixes: [PREFIXES.reports],
      why: 'insights serves the nightly reports',
    });
  }
}
