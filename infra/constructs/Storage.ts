import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  APP_TABLE,
  type BucketDefinition,
  EVENTS_TABLE,
  MODELS_BUCKET,
  REPORTS_BUCKET,
  type TableDefinition,
} from '#lib/aws/resources.ts';
import { DEFAULT_RETENTION_DAYS } from '#lib/envNames.ts';

/** Props for {@link Storage}. */
export interface StorageProps {
  /** Delete data on `cdk destroy` (default: retain). */
  destroyData: boolean;
  /** Days events are kept; objects derived from them expire after as many days (default 400). */
  retentionDays?: number;
}

const attributeType = (type: 'S' | 'N') =>
  type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER;

/** Days S3 server access logs are kept. */
export const ACCESS_LOG_DAYS = 90;

/**
 * Muse's tables and buckets, created from the same definitions the local
 * stack provisions (`lib/aws/resources.ts`): on-demand tables with PITR and
 * TTL where defined, encrypted with AWS owned keys; buckets private,
 * encrypted, SSL-only, with server access logs to a log bucket, and
 * lifecycle rules that expire what is derived from events (each bucket's
 * `expiringPrefixes`) after the event retention, as the events' TTL does.
 */
export class Storage extends Construct {
  readonly appTable: dynamodb.TableV2;
  readonly eventsTable: dynamodb.TableV2;
  readonly modelBucket: s3.Bucket;
  readonly reportsBucket: s3.Bucket;
  /** Where the two buckets' server access logs go (kept {@link ACCESS_LOG_DAYS} days). */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.appTable = this.table(APP_TABLE, removalPolicy);
    this.eventsTable = this.table(EVENTS_TABLE, removalPolicy);
    this.accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy,
      autoDeleteObjects: props.destroyData,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log destination of the model and reports buckets; logging it too would log the log writes.',
    });
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.modelBucket = this.bucket(MODELS_BUCKET, removalPolicy, props.destroyData, retentionDays);
    this.reportsBucket = this.bucket(
      REPORTS_BUCKET,
      removalPolicy,
      props.destroyData,
      retentionDays,
    );
  }

  private table(def: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.TableV2 {
    return new dynamodb.TableV2(this, `${def.id}Table`, {
      partitionKey: { name: def.partitionKey.name, type: attributeType(def.partitionKey.type) },
      sortKey: { name: def.sortKey.name, type: attributeType(def.sortKey.type) },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
      globalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: {
          name: index.partitionKey.name,
          type: attributeType(index.partitionKey.type),
        },
        ...(index.sortKey
          ? { sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) } }
          : {}),
      })),
      removalPolicy,
    });
  }

  private bucket(
    def: BucketDefinition,
    removalPolicy: RemovalPolicy,
    destroyData: boolean,
    retentionDays: number,
  ): s3.Bucket {
    return new s3.Bucket(this, `${def.id}Bucket`, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: def.versioned,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${def.id.toLowerCase()}/`,
      removalPolicy,
      autoDeleteObjects: destroyData,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...def.expiringPrefixes.map((prefix) => ({
          id: `expire-${prefix.replace(/\/$/, '')}`,
          prefix,
          expiration: Duration.days(retentionDays),
        })),
      ],
    });
  }
}
