#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. Context flags:
 * - `stackName` (default `Muse`)
 * - `destroyData=true` to let `cdk destroy` delete tables and buckets (default: keep them).
 * - `modelId` (default `Xenova/gpt2`) and `modelVersion` (default `current`): the model the functions load.
 * - `eventRetentionDays` (default 400): how long engagement events are kept.
 */
import { App } from 'aws-cdk-lib';
import { MuseStack } from './MuseStack.ts';

const app = new App();
new MuseStack(app, app.node.tryGetContext('stackName') ?? 'Muse', {
  description: 'Muse: self-hosted marketing AI (copy, recommendations, customer insight)',
  destroyData: app.node.tryGetContext('destroyData') === 'true',
  modelId: app.node.tryGetContext('modelId'),
  modelVersion: app.node.tryGetContext('modelVersion'),
  ...(app.node.tryGetContext('eventRetentionDays')
    ? { eventRetentionDays: Number(app.node.tryGetContext('eventRetentionDays')) }
    : {}),
});
