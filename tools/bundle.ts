import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, ROOT } from '#infra/bundling.ts';

/** A handler bundled as CDK bundles it. */
export interface BuiltBundle {
  file: string;
  bytes: number;
  /** The input contributing most bytes, e.g. `@huggingface/transformers/… (812 KB)`. */
  largest: string;
}

/**
 * Bundles `functions/<name>.ts` of the checkout at `root` with the settings
 * CDK deploys (`infra/bundling.ts`: ESM, node22, minified, the AWS SDK and
 * onnxruntime external, sharp stubbed), into `outDir`, with an esbuild
 * metafile for the size report. Imports of the output resolve externals from
 * `root`'s node_modules, as Lambda resolves them from the function's.
 *
 * @example
 * ```ts
 * const { file, bytes } = await bundleFunction('generate', '.data/bundles');
 * ```
 */
export function bundleFunction(name: string, outDir: string, root = ROOT): Promise<BuiltBundle> {
  return bundleEntry(`functions/${name}.ts`, join(outDir, `${name}.mjs`), root);
}

/**
 * Bundles any entry point of the checkout at `root` (relative to it) into
 * `file` with the same settings as {@link bundleFunction}: a script run
 * with plain `node` from the bundle loads what a deployed function loads
 * (no TypeScript loader in the process, so its memory is the function's).
 */
export async function bundleEntry(entry: string, file: string, root = ROOT): Promise<BuiltBundle> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    minify: true,
    metafile: true,
    outfile: file,
    logLevel: 'error',
    external: [...BUNDLING.externals, ...BUNDLING.modelExternals],
    alias: { sharp: BUNDLING.sharpShim },
    banner: { js: BUNDLING.banner },
  });
  const output = Object.values(result.metafile.outputs)[0];
  const [top] = Object.entries(output?.inputs ?? {}).sort(
    (a, b) => b[1].bytesInOutput - a[1].bytesInOutput,
  );
  const largest = top
    ? `${top[0].replace(/^node_modules\//, '')} (${Math.round(top[1].bytesInOutput / 1024)} KB)`
    : '';
  return { file, bytes: output?.bytes ?? 0, largest };
}
