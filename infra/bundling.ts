import { fileURLToPath } from 'node:url';

/** The repository root (bundling paths are absolute from it). */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * How every Muse function is bundled, in one place: the CDK constructs
 * (`UrlFunction`, `modelBundling`) and `tools/bundle.ts` (the import test and
 * the bundle benchmark) build from these, so what is tested is what deploys.
 */
export const BUNDLING = {
  /** Node 22 on Lambda. */
  target: 'node22',
  /** ESM bundles still meet CommonJS dependencies that call require(). */
  banner:
    "import { createRequire as __muse_cr } from 'node:module'; const require = __muse_cr(import.meta.url);",
  /** The Lambda runtime provides the AWS SDK v3. */
  externals: ['@aws-sdk/*'],
  /** The model functions ship onnxruntime-node beside the bundle (a native addon). */
  modelExternals: ['onnxruntime-node', 'onnxruntime-common'],
  /** transformers.js's image library, replaced by a stub (text only). */
  sharpShim: `${ROOT}infra/shims/sharp.mjs`,
} as const;
