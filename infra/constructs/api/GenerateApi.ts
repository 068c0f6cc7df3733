import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { APP_PARTITIONS, FUNCTION_TIMEOUT_SECONDS } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
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

  constructor(scope: Construct, id: string, options: ApiOptions & ModelChoice) {
    super(scope, id);
    const { customerPrefix, catalog, exemplars, variantPrefix } = APP_PARTITIONS;
    // 60 s covers a cold start plus a 256-token best-of-8 request.
    this.fn = new UrlFunction(this, 'Generate', {
      ...commonProps('generate', options),
      ...MODEL_FUNCTION,
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
