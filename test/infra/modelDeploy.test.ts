import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '#infra/context.ts';
import { MuseStack } from '#infra/MuseStack.ts';
import { RUNTIME_FILES } from '#lib/model/manifest.ts';
import { tinyModelDir } from '#test/support/tinyModel.ts';
import { describeModelDir } from '#tools/model/publish.ts';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }
>;

let dir: string;
/** The version a deploy of the tiny model publishes: its weights' sha256 prefix. */
let version: string;
let assemblyDir: string;
let withModel: Resources;
let withoutModel: Template;

function filesUnder(root: string, path = root): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(root, full) : [relative(root, full)];
  });
}

const deployments = (resources: Resources) =>
  Object.entries(resources).filter(([, r]) => r.Type === 'Custom::CDKBucketDeployment');

const envOf = (resources: Resources, what: string) =>
  Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).includes(what),
  );

beforeAll(async () => {
  dir = await tinyModelDir();
  ({ version } = describeModelDir({ dir, id: 'Xenova/gpt2', source: 'x', randomWeights: true }));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'muse-model-deploy-')) });
  const stack = new MuseStack(app, 'ModelDeploy', { modelDir: dir });
  const assembly = app.synth();
  assemblyDir = assembly.directory;
  withModel = assembly.getStackByName(stack.stackName).template.Resources as Resources;
  withoutModel = Template.fromStack(new MuseStack(new App(), 'NoModel'));
});

describe('cdk deploy -c modelDir=DIR (synthesized)', () => {
  it('uploads the runtime files and manifest under models/<id>/<version>/, then the current pointer', () => {
    const byPrefix = new Map(
      deployments(withModel).map(([id, r]) => [r.Properties.DestinationBucketKeyPrefix, { id, r }]),
    );
    const files = byPrefix.get(`models/Xenova/gpt2/${version}/`);
    const pointer = byPrefix.get('models/Xenova/gpt2/');

    expect(byPrefix.size).toBe(2);
    expect(files?.r.Properties.Prune).toBe(false);
    expect(pointer?.r.DependsOn).toContain(files?.id);
  });

  it('stages only the runtime files of the directory as the upload asset', () => {
    const staged = readdirSync(assemblyDir)
      .filter(
        (name) => name.startsWith('asset.') && statSync(join(assemblyDir, name)).isDirectory(),
      )
      .map((name) => filesUnder(join(assemblyDir, name)).sort())
      .find((list) => list.includes('onnx/model_quantized.onnx'));

    expect(staged).toEqual([...RUNTIME_FILES].sort());
  });

  it('pins generate and recommend to the deployed version and starts them after the pointer', () => {
    const pointerId = deployments(withModel).find(
      ([, r]) => r.Properties.DestinationBucketKeyPrefix === 'models/Xenova/gpt2/',
    )?.[0];

    for (const what of ['marketing copy', 'product recommendations']) {
      const [, fn] = envOf(withModel, what) ?? [];
      const environment = fn?.Properties.Environment as { Variables: Record<string, string> };
      const variables = environment.Variables;
      expect(variables.MUSE_MODEL_VERSION).toBe(version);
      expect(JSON.stringify(fn?.DependsOn)).toContain(pointerId?.slice(0, 20));
    }
  });

  it('deploys no model without modelDir: the functions follow the current pointer', () => {
    expect(Object.keys(withoutModel.findResources('Custom::CDKBucketDeployment'))).toHaveLength(0);
    withoutModel.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Muse: marketing copy from the quantized GPT-2',
      Environment: { Variables: { MUSE_MODEL_VERSION: 'current' } },
    });
  });

  it('refuses modelDir with modelVersion, and a directory without the q8 weights', () => {
    const context = (values: Record<string, string>) => (key: string) => values[key];

    expect(() => stackPropsFromContext(context({ modelDir: dir, modelVersion: 'v1' }))).toThrow(
      /modelDir and modelVersion conflict/,
    );
    expect(() => stackPropsFromContext(context({ modelDir: tmpdir() }))).toThrow(
      /holds no onnx\/model_quantized\.onnx/,
    );
  });
});
