import { Size, Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { KEYS, PREFIXES } from '#lib/aws/resources.ts';
import { CurrentPointer, type Manifest, RUNTIME_FILES } from '#lib/model/manifest.ts';
import { describeModelDir, originOfDir } from '#tools/model/publish.ts';

/** Props for {@link ModelDeployment}. */
export interface ModelDeploymentProps {
  bucket: s3.IBucket;
  /** A model directory: `config.json`, `tokenizer.json`, `onnx/model_quantized.onnx`, … */
  dir: string;
  /** The id it is published under, e.g. `Xenova/gpt2`. */
  id: string;
}

/**
 * Publishes a local model directory as part of `cdk deploy`, exactly as
 * `npm run model:publish` would: the runtime files and `manifest.json`
 * (files, bytes, sha256, computed at synth) under `models/<id>/<version>/`,
 * then — only after those — the `models/<id>/current` pointer. The version
 * is the weights' sha256 prefix, so deploying the same files again changes
 * nothing, and other versions stay (no prune) for rollbacks. Only the
 * runtime files ship (other exports in the directory are left out). Sized
 * for a ~170 MB gpt2: the copy runs in a 2 GB / 2 GB-disk function.
 */
export class ModelDeployment extends Construct {
  readonly manifest: Manifest;
  /** The deployment that writes the pointer (functions that pin this version depend on it). */
  readonly current: BucketDeployment;

  constructor(scope: Construct, id: string, props: ModelDeploymentProps) {
    super(scope, id);
    this.manifest = describeModelDir({
      dir: props.dir,
      id: props.id,
      ...originOfDir(props.dir, props.id),
    });
    const { version } = this.manifest;
    // Both deployments share one copy function (a singleton per size).
    const sized = { memoryLimit: 2048, ephemeralStorageSize: Size.gibibytes(2) };
    const files = new BucketDeployment(this, 'Files', {
      ...sized,
      sources: [
        // Everything but the runtime files is excluded (gitignore-style patterns).
        Source.asset(props.dir, { exclude: ['*', '!onnx', ...RUNTIME_FILES.map((f) => `!${f}`)] }),
        Source.jsonData('manifest.json', this.manifest),
      ],
      destinationBucket: props.bucket,
      destinationKeyPrefix: KEYS.modelVersion(props.id, version),
      prune: false,
      retainOnDelete: true,
    });
    this.current = new BucketDeployment(this, 'Current', {
      ...sized,
      sources: [
        Source.jsonData(
          'current',
          CurrentPointer.parse({ version, updated: this.manifest.created }),
        ),
      ],
      destinationBucket: props.bucket,
      destinationKeyPrefix: `${PREFIXES.models}${props.id}/`,
      prune: false,
      retainOnDelete: true,
    });
    this.current.node.addDependency(files);
    acknowledgeCopyFunction(Stack.of(this), props.bucket);
  }
}

/**
 * cdk-nag findings on the copy function CDK's BucketDeployment brings (a
 * singleton in the stack, not Muse code): each acknowledged on that function
 * or its role only, with the reason.
 */
function acknowledgeCopyFunction(stack: Stack, bucket: s3.IBucket): void {
  const copier = stack.node.children.find((c) =>
    c.node.id.startsWith('Custom::CDKBucketDeployment'),
  );
  if (!copier) return;
  const role = copier.node.tryFindChild('ServiceRole');
  const policy = role?.node.tryFindChild('DefaultPolicy');
  Validations.of(copier).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'The runtime of the copy function is chosen by aws-cdk-lib (BucketDeployment) and moves with aws-cdk-lib upgrades; Muse does not set it.',
  });
  if (role) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'BucketDeployment’s copy function writes its own logs through the basic execution role CDK attaches; it runs only during deploys.',
    });
  }
  const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const wildcards = [
    'Action::s3:GetObject*',
    'Action::s3:GetBucket*',
    'Action::s3:List*',
    'Action::s3:DeleteObject*',
    'Action::s3:Abort*',
    'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    `Resource::<${bucketId}.Arn>/*`,
  ];
  for (const finding of policy ? wildcards : []) {
    Validations.of(policy as Construct).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason:
        'BucketDeployment grants its copy function read of the CDK asset bucket and write of the model bucket’s objects; the object keys are only known at deploy time, and it runs only during deploys.',
    });
  }
}
