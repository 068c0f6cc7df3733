import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MuseStack } from '#infra/MuseStack.ts';
import { tinyModelDir } from '#test/support/tinyModel.ts';

interface Acknowledged {
  id: string;
  reason: string;
}
interface Template {
  Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
}

let synthError: unknown;
let template: Template;
let report: string;
let stackAcknowledgements: unknown;

beforeAll(async () => {
  const outdir = mkdtempSync(join(tmpdir(), 'muse-nag-'));
  // Findings should not fail synth here: the test reads them and says which.
  const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
  // With a model deployed by the stack (-c modelDir), so its copy function is checked too.
  const stack = new MuseStack(app, 'Nag', { modelDir: await tinyModelDir() });
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
  );
  try {
    template = app.synth().getStackByName(stack.stackName).template;
  } catch (error) {
    synthError = error;
  }
  report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
  stackAcknowledgements = stack.node.metadata.filter((m) => /acknowledge/i.test(m.type));
});

/** `RuleId on path` for each unacknowledged finding of the report. */
function findings(): string[] {
  const json = JSON.parse(report) as {
    pluginReports?: Array<{
      violations?: Array<{
        ruleName: string;
        violatingConstructs?: Array<{ constructPath?: string; resourceLogicalId?: string }>;
      }>;
    }>;
  };
  return (json.pluginReports ?? []).flatMap((p) =>
    (p.violations ?? []).flatMap((v) =>
      (v.violatingConstructs ?? []).map(
        (c) => `${v.ruleName} on ${c.constructPath ?? c.resourceLogicalId}`,
      ),
    ),
  );
}

describe('cdk-nag AwsSolutions on the stack', () => {
  it('synthesizes with no unacknowledged finding', () => {
    expect(findings()).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('acknowledges only on specific resources, each with a written reason', () => {
    const acknowledged = Object.entries(template.Resources).flatMap(([resource, r]) =>
      (
        (r.Metadata?.cdk_nag as { rules_to_suppress?: Acknowledged[] } | undefined)
          ?.rules_to_suppress ?? []
      ).map((a) => ({ ...a, resource })),
    );

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) {
      expect(a.reason.length, `${a.resource} ${a.id}`).toBeGreaterThanOrEqual(40);
    }
    expect(stackAcknowledgements).toEqual([]);
  });
});
