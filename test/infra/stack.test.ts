import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '#infra/context.ts';
import { MuseStack } from '#infra/MuseStack.ts';
import { FUNCTION_TIMEOUT_SECONDS } from '#lib/aws/resources.ts';
import { HTTP_FUNCTIONS, SCHEDULED_FUNCTIONS } from '#local/functions.ts';
import { FUNCTION_READS } from '#test/support/functionReads.ts';

let template: Template;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const isLogging = (st: Statement) => [st.Action].flat().every((a) => a.startsWith('logs:'));

/**
 * Statements of the policies attached to the role of the construct whose id
 * starts with `prefix`, without the log-writing one every function has.
 */
function policyStatements(prefix: string): Statement[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((st) => !isLogging(st));
}

const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options: { checkArn: boolean; checkPaths: boolean },
) => { isValid: boolean; errors: unknown[] };

/**
 * The state machine's definition as JSON: the template joins it from
 * strings and tokens (ARNs, names), each token standing inside a string, so
 * a placeholder in its place leaves valid JSON.
 */
function definitionOf(t: Template): unknown {
  const machine = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0];
  const body = machine?.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** Words of each function's description that name it, where its name is not among them. */
const DESCRIBED_AS: Record<string, string> = {
  generate: 'marketing copy',
  health: 'status of tables',
  insights: 'customer insight summaries',
  recommend: 'recommendations',
};

function functionNamed(name: string) {
  const found = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String(f.Properties.Description)
      .toLowerCase()
      .includes(DESCRIBED_AS[name] ?? name),
  );
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

beforeAll(() => {
  const app = new App();
  template = Template.fromStack(new MuseStack(app, 'Test'));
});

describe('MuseStack (synthesized)', () => {
  it.each(Object.entries(FUNCTION_READS))(
    'sets exactly the variables %s reads',
    (_name, { what, reads }) => {
      const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
        String(f.Properties.Description).includes(what),
      );
      const names = Object.keys(fn?.Properties.Environment.Variables ?? {});

      expect(names.filter((n) => n.startsWith('MUSE_')).sort()).toEqual(reads);
    },
  );

  it('creates the model, reports and access-log buckets private, encrypted, SSL-only; models versioned; access logged', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
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
    template.resourceCountIs('AWS::S3::BucketPolicy', 3);
    expect(
      Object.values(template.findResources('AWS::S3::Bucket')).filter(
        (b) => b.Properties.LoggingConfiguration?.DestinationBucketName,
      ),
    ).toHaveLength(2);
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

  it('gives every function its own role: no managed policy, logs only to its own log group', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    );
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    expect(roles.length).toBe(functions.length);
    for (const [id, role] of roles) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    // Lambda's log writes (the state machine's log delivery is separate).
    const logging = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => [st.Action].flat().includes('logs:PutLogEvents'));
    const logGroups = new Set(Object.keys(template.findResources('AWS::Logs::LogGroup')));
    const targets = logging.map((st) => {
      expect([st.Action].flat().sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const [logicalId] = (st.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(logGroups.has(logicalId)).toBe(true);
      return logicalId;
    });
    expect(new Set(targets).size).toBe(functions.length);
  });

  it('leaves CORS off and concurrency unreserved by default; context turns them on', () => {
    for (const url of Object.values(template.findResources('AWS::Lambda::Url'))) {
      expect(url.Properties.Cors).toBeUndefined();
    }
    const { stackName, props } = stackPropsFromContext(
      (key) =>
        ({
          corsOrigins: 'https://app.example.com',
          reservedConcurrency: 'generate=4,recommend=2',
          tracing: 'true',
          alarmEmail: 'ops@example.com',
        })[key],
    );
    const custom = Template.fromStack(new MuseStack(new App(), stackName, props));

    custom.allResourcesProperties('AWS::Lambda::Url', {
      Cors: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }),
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('marketing copy'),
      ReservedConcurrentExecutions: 4,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_TRACE_ENABLED: 'true' }) },
    });
    custom.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    custom.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
    });
  });

  it('expires reports, job files and signals after the event retention; context sets both the retention and the currency', () => {
    const rules = (t: Template) =>
      Object.values(t.findResources('AWS::S3::Bucket')).map(
        (b) =>
          (b.Properties.LifecycleConfiguration?.Rules ?? []) as Array<{
            Prefix?: string;
            ExpirationInDays?: number;
          }>,
      );
    const expiring = (t: Template) =>
      rules(t)
        .flat()
        .filter((r) => r.Prefix)
        .map((r) => [r.Prefix, r.ExpirationInDays]);
    const { stackName, props } = stackPropsFromContext(
      (key) => ({ eventRetentionDays: '30', currency: 'EUR' })[key],
    );
    const custom = Template.fromStack(new MuseStack(new App(), stackName, props));

    expect(expiring(template).sort()).toEqual([
      ['insights/', 400],
      ['reports/', 400],
      ['signals/', 400],
    ]);
    expect(expiring(custom).sort()).toEqual([
      ['insights/', 30],
      ['reports/', 30],
      ['signals/', 30],
    ]);
    expect(functionNamed('reduce into campaigns').Properties.Environment.Variables).toMatchObject({
      MUSE_CURRENCY: 'USD',
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('reduce into campaigns'),
      Environment: { Variables: Match.objectLike({ MUSE_CURRENCY: 'EUR' }) },
    });
  });

  it.each([
    [{ corsOrigins: 'app.example.com' }, /corsOrigins has "app.example.com"/],
    [{ reservedConcurrency: 'generate=lots' }, /reservedConcurrency has "generate=lots"/],
    [{ eventRetentionDays: '-3' }, /eventRetentionDays must be a positive/],
    [{ alarmEmail: 'ops' }, /alarmEmail must be an email address/],
    [{ currency: 'euro' }, /currency must be an ISO 4217 code/],
    [{ generateMemory: '1024' }, /generateMemory must be a whole number of MB from 1769/],
    [{ generateMemory: '1e200' }, /generateMemory .* got "1e200"/],
    [{ generateMemory: '2048.5' }, /generateMemory must be a whole number/],
  ])('refuses bad context %j, naming the flag', (context, message) => {
    expect(() => stackPropsFromContext((key) => (context as Record<string, string>)[key])).toThrow(
      message,
    );
  });

  it('alarms on every function’s errors and throttles, the DLQ and a missed nightly run, to an encrypted topic; has a dashboard', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).length;
    const named = (metric: string) => alarms.filter((a) => a.Properties.MetricName === metric);

    expect(named('Errors')).toHaveLength(functions);
    expect(named('Throttles')).toHaveLength(functions);
    expect(named('ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(named('ExecutionsSucceeded')[0]?.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      Period: 86_400,
      TreatMissingData: 'breaching',
    });
    for (const a of alarms) expect(a.Properties.AlarmActions).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('puts every function URL behind AWS_IAM auth and outputs it', () => {
    const urls = template.findResources('AWS::Lambda::Url');
    expect(Object.keys(urls)).toHaveLength(5);
    for (const url of Object.values(urls)) expect(url.Properties.AuthType).toBe('AWS_IAM');
    for (const name of ['Health', 'Generate', 'Events', 'Recommend', 'Insights']) {
      template.hasOutput(`${name}Url`, {});
    }
    template.hasOutput('ModelBucketName', {});
    template.hasOutput('ReportsBucketName', {});
  });

  it('grants health only DescribeTable, ListBucket and GetObject under models/, on named resources', () => {
    const statements = policyStatements('Health');

    expect([...new Set(statements.flatMap((st) => [st.Action].flat()))].sort()).toEqual([
      'dynamodb:DescribeTable',
      's3:GetObject',
      's3:ListBucket',
    ]);
    for (const st of statements) expect(JSON.stringify(st.Resource)).not.toBe('"*"');
    const reads = statements.filter((st) => [st.Action].flat().includes('s3:GetObject'));
    expect(JSON.stringify(reads.map((st) => st.Resource))).toMatch(/modelsBucket.*\/models\/\*"/);
  });

  it('grants generate GetObject under models/, reads of profiles, catalog and exemplars, and reads and writes of variants only', () => {
    const statements = policyStatements('Generate');

    expect(statements.map((st) => [st.Action].flat().sort())).toEqual([
      ['s3:GetObject'],
      ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/\/models\/\*"/);
    expect(statements[1]).toMatchObject({
      Condition: {
        'ForAllValues:StringLike': {
          'dynamodb:LeadingKeys': ['CUSTOMER#*', 'CATALOG', 'EXEMPLARS', 'INSIGHTS'],
        },
      },
    });
    expect(statements[2]).toMatchObject({
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['VARIANT#*'] } },
    });
  });

  it('grants recommend the customer index, the catalog partition, models/ and signals/ read-only', () => {
    const statements = policyStatements('Recommend');

    expect(statements.map((st) => [st.Action].flat().sort())).toEqual([
      ['dynamodb:Query'],
      ['dynamodb:Query'],
      ['s3:GetObject'],
      ['s3:GetObject'],
      ['s3:ListBucket'],
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/\/index\/byCustomer"/);
    expect(statements[1]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CATALOG'] } },
    });
    expect(JSON.stringify(statements[2]?.Resource)).toMatch(/modelsBucket.*\/models\/\*"/);
    expect(JSON.stringify(statements[3]?.Resource)).toMatch(/reportsBucket.*\/signals\/\*"/);
    template.hasOutput('RecommendUrl', {});
  });

  it('streams the generate and insights URLs (RESPONSE_STREAM) and keeps the others buffered', () => {
    const urls = Object.values(template.findResources('AWS::Lambda::Url'));
    const streaming = urls.filter((u) => u.Properties.InvokeMode === 'RESPONSE_STREAM');

    expect(streaming.map((u) => JSON.stringify(u.Properties.TargetFunctionArn))).toEqual([
      expect.stringContaining('Generate'),
      expect.stringContaining('Insights'),
    ]);
  });

  it('grants events conditional puts on its table, the customer index, customer partitions and erasure records of the app table, and no S3 at all', () => {
    const statements = policyStatements('Events');

    expect(statements.map((st) => [st.Action].flat().sort())).toEqual([
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      ['dynamodb:Query'],
      ['dynamodb:BatchWriteItem', 'dynamodb:Query'],
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    ]);
    expect(JSON.stringify(statements[1]?.Resource)).toMatch(/\/index\/byCustomer"/);
    expect(statements[2]).toMatchObject({
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CUSTOMER#*'] } },
    });
    expect(statements[3]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ERASURES'] } },
    });
    template.hasOutput('EventsUrl', {});
  });

  it('grants insights only GetItem on customer partitions and the served day, reads of erasure records and GetObject under reports/', () => {
    const statements = policyStatements('Insights');

    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CUSTOMER#*', 'INSIGHTS'] },
        },
      }),
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ERASURES'] } },
      }),
      expect.objectContaining({ Action: 's3:GetObject' }),
    ]);
    expect(JSON.stringify(statements[2]?.Resource)).toMatch(/\/reports\/\*"/);
    template.hasOutput('InsightsUrl', {});
  });

  it('runs generate on one vCPU (the cheapest per token), room for the gpt2-shape model, the model named in its env', () => {
    const fn = functionNamed('generate');

    expect(fn.Properties).toMatchObject({
      // 1,769 MB buys one full vCPU (bench --suites sizing: the cheapest size per generated token).
      MemorySize: 1769,
      // The largest request the token budget admits, measured on the gpt2 shape on one thread, with room (README).
      Timeout: 120,
      EphemeralStorage: { Size: 1024 },
      Environment: {
        Variables: {
          MUSE_MODEL_ID: 'Xenova/gpt2',
          MUSE_MODEL_VERSION: 'current',
          MUSE_MODEL_CACHE_DIR: '/tmp/models',
        },
      },
    });
  });

  it('sizes generate from context generateMemory (more vCPUs for latency), recommend staying at 3008 MB', () => {
    const { stackName, props } = stackPropsFromContext((key) => ({ generateMemory: '3538' })[key]);
    const custom = Template.fromStack(new MuseStack(new App(), stackName, props));
    const memoryOf = (t: Template, pattern: RegExp) =>
      Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
        pattern.test(f.Properties.Description ?? ''),
      )?.Properties.MemorySize;

    expect(memoryOf(custom, /marketing copy/)).toBe(3538);
    expect(memoryOf(custom, /recommend/i)).toBe(3008);
    expect(memoryOf(template, /recommend/i)).toBe(3008);
  });

  it('gives generate the Chinese model from context zhModelId, and no other function', () => {
    const { stackName, props } = stackPropsFromContext(
      (key) => ({ zhModelId: 'uer/gpt2-chinese-cluecorpussmall' })[key],
    );
    const custom = Template.fromStack(new MuseStack(new App(), stackName, props));
    const zhVars = Object.values(custom.findResources('AWS::Lambda::Function'))
      .filter((f) => f.Properties.Environment?.Variables?.MUSE_MODEL_ID_ZH)
      .map((f) => [f.Properties.Description, f.Properties.Environment.Variables]);

    expect(zhVars).toHaveLength(1);
    expect(zhVars[0]?.[0]).toMatch(/marketing copy/);
    expect(zhVars[0]?.[1]).toMatchObject({
      MUSE_MODEL_ID_ZH: 'uer/gpt2-chinese-cluecorpussmall',
      MUSE_MODEL_VERSION_ZH: 'current',
    });
    expect(() => stackPropsFromContext((key) => ({ zhModelVersion: 'v1' })[key])).toThrow(
      /zhModelVersion needs zhModelId/,
    );
  });

  it('gives each HTTP function the timeout the local bridge gives its calls', () => {
    for (const [name, seconds] of Object.entries(FUNCTION_TIMEOUT_SECONDS)) {
      expect(functionNamed(name).Properties.Timeout, name).toBe(seconds);
    }
  });

  it('deploys every handler in functions/ and serves it locally', () => {
    const handlers = readdirSync('functions').map((f) => f.replace(/\.ts$/, ''));
    const deployed = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.Description as string,
    );

    expect([...Object.keys(HTTP_FUNCTIONS), ...Object.keys(SCHEDULED_FUNCTIONS)].sort()).toEqual(
      handlers.sort(),
    );
    expect(deployed).toHaveLength(handlers.length);
    // Only the HTTP functions get a URL.
    template.resourceCountIs('AWS::Lambda::Url', Object.keys(HTTP_FUNCTIONS).length);
  });

  it('runs the nightly job as Scheduler → Step Functions plan → map per shard → tally per segment → scales → score per segment → reduce, with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
        Input: Match.stringLikeRegexp('aws.scheduler.scheduled-time'),
      }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    const { States } = definitionOf(template) as {
      States: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(States)).toEqual([
      'PlanDay',
      'MapShards',
      'TallySegments',
      'FixScales',
      'ScoreSegments',
      'ReduceDay',
    ]);
    expect(JSON.stringify(States)).toMatch(/States.ALL/);
    // Both passes over the base are Distributed Maps over the plan's items, each a base step.
    for (const [name, step] of [
      ['TallySegments', 'tally'],
      ['ScoreSegments', 'score'],
    ] as const) {
      expect(States[name]).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.plan.items',
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
        ItemSelector: {
          step,
          run: { 'day.$': '$.plan.day', 'runId.$': '$.plan.runId', 'segments.$': '$.plan.shards' },
          'segment.$': '$$.Map.Item.Value',
        },
        ResultWriter: { Parameters: { Prefix: 'insights/map-runs/' } },
        ResultPath: null,
      });
    }
    expect(States.FixScales).toMatchObject({
      Type: 'Task',
      Parameters: {
        step: 'scales',
        run: { 'day.$': '$.plan.day', 'runId.$': '$.plan.runId', 'segments.$': '$.plan.shards' },
      },
      ResultPath: null,
    });
  });

  it('maps the shards in a DISTRIBUTED Map whose results go to S3, valid ASL, with concurrency and shard count from context', () => {
    const { props } = stackPropsFromContext(
      (key) => ({ mapConcurrency: '64', eventShards: '256' })[key],
    );
    const custom = Template.fromStack(new MuseStack(new App(), 'Custom', props));

    const definition = definitionOf(template);
    const map = (definition as { States: Record<string, Record<string, unknown>> }).States
      .MapShards as Record<string, unknown>;
    const customMap = (definitionOf(custom) as { States: Record<string, Record<string, unknown>> })
      .States.MapShards as Record<string, unknown>;

    expect(aslValidator(definition, { checkArn: false, checkPaths: true }).errors).toEqual([]);
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.items',
      MaxConcurrency: 16,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'MapShard',
      },
      ResultWriter: {
        Resource: 'arn:TOKEN:states:::s3:putObject',
        Parameters: { Prefix: 'insights/map-runs/' },
      },
      ResultPath: null,
    });
    // No tolerated failures: the ASL default (CDK does not render a 0).
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(map.ToleratedFailureCount ?? 0).toBe(0);
    expect(customMap.MaxConcurrency).toBe(64);
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('events ingestion'),
      Environment: { Variables: Match.objectLike({ MUSE_EVENT_SHARDS: '256' }) },
    });
    expect(() =>
      stackPropsFromContext((key) => ({ eventShards: '48' })[key as 'eventShards']),
    ).toThrow(/eventShards must be a power of two from 1 to 1024, got "48"/);
  });

  it('grants the map step Query on events, its customers’ profiles, erasure reads and insights/ objects; base the profile Scan, catalog and erasure reads and insights/ and reports/ objects; reduce campaign items, catalog reads and report/signal prefixes', () => {
    const map = policyStatements('NightlyInsightsMap');
    const base = policyStatements('NightlyInsightsBase');
    const reduce = policyStatements('NightlyInsightsReduce');

    expect(map.map((st) => [st.Action].flat().sort())).toEqual([
      ['dynamodb:Query'],
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
      ['dynamodb:Query'],
      ['s3:GetObject', 's3:PutObject'],
      ['s3:ListBucket'],
    ]);
    expect(map[1]).toMatchObject({
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CUSTOMER#*'] } },
    });
    expect(map[2]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ERASURES'] } },
    });
    expect(base.map((st) => [st.Action].flat().sort())).toEqual([
      ['dynamodb:Scan'],
      ['dynamodb:BatchGetItem'],
      ['dynamodb:Query'],
      ['s3:GetObject', 's3:PutObject'],
      ['s3:ListBucket'],
    ]);
    expect(base[0]?.Condition).toBeUndefined();
    expect(base[1]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CATALOG'] } },
    });
    expect(base[2]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ERASURES'] } },
    });
    expect(JSON.stringify(base[3]?.Resource)).toContain('/reports/*');
    expect(JSON.stringify(base[3]?.Resource)).not.toContain('/signals/*');
    expect(reduce.map((st) => [st.Action].flat().sort())).toEqual([
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
      ['dynamodb:BatchGetItem'],
      ['dynamodb:GetItem', 'dynamodb:PutItem'],
      ['dynamodb:BatchWriteItem', 'dynamodb:Query'],
      ['s3:GetObject', 's3:PutObject'],
      ['s3:ListBucket'],
    ]);
    expect(reduce[3]).toMatchObject({
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ERASURES'] } },
    });
    expect(reduce[0]).toMatchObject({
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CAMPAIGN#*'] },
      },
    });
    expect(reduce[1]).toMatchObject({
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CATALOG', 'VARIANT#*'] },
      },
    });
    expect(reduce[2]).toMatchObject({
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['EXEMPLARS', 'INSIGHTS'] },
      },
    });
    expect(JSON.stringify(reduce[4]?.Resource)).toContain('/signals/*');
  });
});
