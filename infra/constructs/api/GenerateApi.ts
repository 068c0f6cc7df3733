import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { APP_PARTITIONS, FUNCTION_TIMEOUT_SECONDS } from '#lib/aws/resources.ts';
import { DEFAULT_GENERATE_MEMORY_MB, ENV } from '#lib/envNames.ts';
import { UrlFunction } from '../UrlFunction.ts';
import {
  type ApiOptions,
  commonProps,
  MODEL_FUNCTION,
  type ModelChoice,
  useModel,
} from './options.ts';

/** `POST /generate`: copy from the model; reads profiles, catalog and exemplars, registers variants. */
export class GenerateApi extends Construct {
  readonly fn: UrlFunction;

  constructor(
    scope: Construct,
    id: string,
    options: ApiOptions & ModelChoice & { memoryMb?: number },
  ) {
    super(scope, id);
    const { customerPrefix, catalog, exemplars, variantPrefix } = APP_PARTITIONS;
    this.fn = new UrlFunction(this, 'Generate', {
      ...commonProps('generate', options),
      ...MODEL_FUNCTION,
      // One vCPU by default: the cheapest size per generated token (see DEFAULT_GENERATE_MEMORY_MB).
      memorySize: options.memoryMb ?? DEFAULT_GENERATE_MEMORY_MB,
      description: 'Muse: marketing copy from the quantized GPT-2',
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.generate),
      // stream: true sends tokens as they are generated (Powertools streamify).
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    useModel(this.fn, options.storage, options);
    // Personalisation reads one customer's profile, the catalog items it names and
    // the exemplars of a kind; every returned variant is registered for learning.
    this.fn.useTable(
      options.storage.appTable,
      ENV.appTable,
      {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        partitions: [`${customerPrefix}*`, catalog, exemplars, APP_PARTITIONS.insights],
      },
      // Variants: registered as they are returned; read when a request pins exemplars by id.
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        partitions: [`${variantPrefix}*`],
      },
    );
  }
}
