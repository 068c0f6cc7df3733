import { fileURLToPath } from 'node:url';
import { CfnOutput, type Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Props for {@link UrlFunction}. */
export interface UrlFunctionProps {
  /** Handler file name in `functions/`, without extension (kebab-case). */
  name: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Extra esbuild options (e.g. native modules to ship for the model). */
  bundling?: nodejs.BundlingOptions;
  ephemeralStorageSize?: import('aws-cdk-lib').Size;
  /** Function URL invoke mode (streaming for generate). */
  invokeMode?: lambda.InvokeMode;
  /** Give the function a URL (default true); scheduled steps have none. */
  withUrl?: boolean;
}

/**
 * One Muse Lambda: `functions/<name>.ts` bundled by the local esbuild (no
 * Docker) for Node 22 on arm64, with its own log group and (unless
 * `withUrl: false`) a function URL that requires SigV4-signed (`AWS_IAM`)
 * requests, whose URL is a stack output.
 */
export class UrlFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  /** The function URL (AWS_IAM), unless `withUrl` was false. */
  readonly url: lambda.FunctionUrl | undefined;

  constructor(scope: Construct, id: string, props: UrlFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
    });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${ROOT}functions/${props.name}.ts`,
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      logGroup,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // ESM bundles still meet CommonJS dependencies that call require().
        banner:
          "import { createRequire as __muse_cr } from 'node:module'; const require = __muse_cr(import.meta.url);",
        ...props.bundling,
        externalModules: ['@aws-sdk/*', ...(props.bundling?.externalModules ?? [])],
      },
    });
    if (props.withUrl === false) {
      this.url = undefined;
      return;
    }
    this.url = this.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      ...(props.invokeMode ? { invokeMode: props.invokeMode } : {}),
    });
    new CfnOutput(scope, `${id}Url`, {
      value: this.url.url,
      description: `Function URL of ${props.name} (AWS_IAM: sign requests with SigV4)`,
    });
  }
}
