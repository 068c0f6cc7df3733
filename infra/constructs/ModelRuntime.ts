import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BUNDLING, ROOT } from '../bundling.ts';

/** Where the Lambda runs: Node 22 on Graviton. */
const TARGET = { platform: 'linux', arch: 'arm64' } as const;

/**
 * esbuild options for functions that run the model. transformers.js is
 * bundled; onnxruntime-node (a native addon) is copied next to the bundle
 * with only its linux-arm64 binary (no darwin, win32 or x64), and sharp is
 * aliased away (text only), which keeps the asset far under Lambda's 250 MB.
 */
export function modelBundling(): BundlingOptions {
  const ort = `${ROOT}node_modules/onnxruntime-node`;
  const common = `${ROOT}node_modules/onnxruntime-common`;
  const binary = `bin/napi-v6/${TARGET.platform}/${TARGET.arch}`;
  return {
    externalModules: [...BUNDLING.modelExternals],
    esbuildArgs: { '--alias:sharp': BUNDLING.sharpShim },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_input: string, output: string) => [
        `mkdir -p "${output}/node_modules/onnxruntime-node/${binary}"`,
        `cp "${ort}/package.json" "${output}/node_modules/onnxruntime-node/"`,
        `cp -R "${ort}/dist" "${output}/node_modules/onnxruntime-node/"`,
        `cp "${ort}/${binary}/"* "${output}/node_modules/onnxruntime-node/${binary}/"`,
        `cp -R "${common}" "${output}/node_modules/onnxruntime-common"`,
      ],
    },
  };
}
