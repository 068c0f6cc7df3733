import { readdirSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MuseStack } from '#infra/MuseStack.ts';
import { HTTP_FUNCTIONS } from '#local/functions.ts';

let template: Template;

beforeAll(() => {
  const app = new App();
  template = Template.fromStack(new MuseStack(app, 'Test'));
});

describe('MuseStack (synthesized)', () => {
  it('creates the model and reports buckets private, encrypted, SSL-only; models versioned', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.resourceCountIs('AWS::S3::BucketPolicy', 2);
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('keeps data on cdk destroy by default', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  it('creates the events table with day/shard keys, the customer index, TTL and PITR', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byCustomer' })],
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('runs the health function on Node 22 arm64 with storage names in its env', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          MUSE_APP_TABLE: Match.anyValue(),
          MUSE_EVENTS_TABLE: Match.anyValue(),
          MUSE_MODEL_BUCKET: Match.anyValue(),
          MUSE_REPORTS_BUCKET: Match.anyValue(),
        }),
      },
    });
  });

  it('puts every function URL behind AWS_IAM auth and outputs it', () => {
    const urls = template.findResources('AWS::Lambda::Url');
    expect(Object.keys(urls).length).toBeGreaterThan(0);
    for (const url of Object.values(urls)) expect(url.Properties.AuthType).toBe('AWS_IAM');
    template.hasOutput('HealthUrl', {});
  });

  it('grants health only DescribeTable and ListBucket, on named resources', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());

    expect(actions.sort()).toEqual(['dynamodb:DescribeTable', 's3:ListBucket']);
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toBe('"*"');
  });

  it('deploys every handler in functions/ and serves it locally', () => {
    const handlers = readdirSync('functions').map((f) => f.replace(/\.ts$/, ''));
    const deployed = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.Description as string,
    );

    expect(Object.keys(HTTP_FUNCTIONS).sort()).toEqual(handlers.sort());
    expect(deployed).toHaveLength(handlers.length);
  });
});
