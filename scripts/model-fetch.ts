/**
 * `npm run model:fetch -- <repo> [--out DIR] [--hub URL] [--revision REV]`
 * Downloads a real GPT-2 export (transformers.js layout, e.g. Xenova/gpt2 or
 * Xenova/distilgpt2) into `.data/models/<repo>/`, resuming partial files.
 * `npm start` then prefers it over the random-weight demo model.
 */
import { parseArgs } from 'node:util';
import { type Progress, progressBar } from '#tools/cli/progress.ts';
import { DEFAULT_HUB_URL, fetchFromHub } from '#tools/model/hubFetch.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    hub: { type: 'string' },
    revision: { type: 'string', default: 'main' },
  },
});
const repo = positionals[0];
if (!repo || !/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(repo)) {
  console.error(
    'Usage: npm run model:fetch -- <owner/name> [--out DIR] [--hub URL] [--revision REV]\n  e.g. npm run model:fetch -- Xenova/gpt2',
  );
  process.exit(2);
}
const hubUrl = values.hub ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL;
const outDir = values.out ?? `.data/models/${repo}`;
console.log(`Fetching ${repo}@${values.revision} from ${hubUrl} into ${outDir}`);
let bar: Progress | undefined;
let current = '';
try {
  const files = await fetchFromHub({
    repo,
    outDir,
    hubUrl,
    revision: values.revision,
    ...(process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {}),
    onProgress: (file, done, total) => {
      if (file !== current) {
        bar?.done();
        current = file;
        bar = progressBar({ label: `  ${file}`, total: total ?? done, unit: 'bytes' });
      }
      bar?.update(done);
    },
  });
  bar?.done();
  for (const f of files)
    console.log(`  ${f.path.padEnd(28)} ${f.bytes.toString().padStart(11)} B  sha256 ${f.sha256}`);
  console.log(
    `Done. Restart npm start to use it, or publish it: npm run model:publish -- --dir ${outDir} --id ${repo}`,
  );
} catch (error) {
  bar?.done();
  console.error(`\n${(error as Error).message}`);
  process.exit(1);
}
