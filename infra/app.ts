#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. Context flags (`-c key=value`)
 * are listed on {@link stackPropsFromContext}. The AwsSolutions checks run on
 * every synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from './context.ts';
import { MuseStack } from './MuseStack.ts';

const app = new App();
const { stackName, props } = stackPropsFromContext((key) => app.node.tryGetContext(key));
new MuseStack(app, stackName, props);
// cdk-nag's AwsSolutions pack on every synth: an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
