import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ENV } from '#lib/envNames.ts';
import { Storage } from './constructs/Storage.ts';
import { UrlFunction } from './constructs/UrlFunction.ts';

/** Props for {@link MuseStack}. */
export interface MuseStackProps extends StackProps {
  /** Delete tables and buckets on `cdk destroy` (default false: keep data). */
  destroyData?: boolean;
}

/** Everything Muse deploys: storage and the functions with their URLs. */
export class MuseStack extends Stack {
  readonly storage: Storage;

  constructor(scope: Construct, id: string, props: MuseStackProps = {}) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage', { destroyData: props.destroyData ?? false });
    const { appTable, eventsTable, modelBucket, reportsBucket } = this.storage;
    const storageEnv = {
      [ENV.appTable]: appTable.tableName,
      [ENV.eventsTable]: eventsTable.tableName,
      [ENV.modelBucket]: modelBucket.bucketName,
      [ENV.reportsBucket]: reportsBucket.bucketName,
    };

    // health only describes tables and heads buckets: tiny memory, short timeout.
    const health = new UrlFunction(this, 'Health', {
      name: 'health',
      description: 'Muse: status of tables and buckets',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: storageEnv,
    });
    health.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable'],
        resources: [appTable.tableArn, eventsTable.tableArn],
      }),
    );
    health.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // HeadBucket is authorised by s3:ListBucket on the bucket itself.
        actions: ['s3:ListBucket'],
        resources: [modelBucket.bucketArn, reportsBucket.bucketArn],
      }),
    );
  }
}
