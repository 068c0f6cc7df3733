/**
 * `npm run catalog:load -- [FILE] [--dry-run] [--skip-invalid]`: validates a
 * catalog file (JSON array or CSV with a header row; default: the demo
 * seed's `.data/seed/catalog.json`) and writes it into the app table. Every
 * invalid row is reported with its row number and field; nothing is written
 * while any row is invalid unless `--skip-invalid` says to load the valid
 * rows. With `npm start` running it writes through that process (which owns
 * the local DynamoDB); otherwise it starts the local stack itself.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogFormat, parseCatalog } from '#lib/catalog/parse.ts';
import { writeCatalog } from '#lib/catalog/store.ts';
import { worldWriter } from '#local/demo.ts';
import { localSettings } from '#local/settings.ts';
import { exitIfDataDirInUse, runningOrLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';

/** Invalid rows printed before "… and N more". */
const SHOWN_ERRORS = 20;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'dry-run': { type: 'boolean', default: false },
    'skip-invalid': { type: 'boolean', default: false },
  },
});
const settings = localSettings();
const file = positionals[0] ?? join(settings.dataDir, 'seed', 'catalog.json');

let text: string;
try {
  text = await readFile(file, 'utf8');
} catch (error) {
  console.error(`Cannot read ${file}: ${(error as Error).message}`);
  console.error('Usage: npm run catalog:load -- FILE.json|FILE.csv [--dry-run] [--skip-invalid]');
  process.exit(2);
}

let parsed: ReturnType<typeof parseCatalog>;
try {
  parsed = parseCatalog(text, catalogFormat(file));
} catch (error) {
  console.error(`${file} is not a catalog: ${(error as Error).message}`);
  process.exit(2);
}
const { items, errors } = parsed;
for (const e of errors.slice(0, SHOWN_ERRORS)) {
  const issues = e.issues.map((i) => `${i.path || '(row)'}: ${i.message}`).join('; ');
  console.error(`row ${e.row}${e.id ? ` (${e.id})` : ''}: ${issues}`);
}
if (errors.length > SHOWN_ERRORS) console.error(`… and ${errors.length - SHOWN_ERRORS} more`);
console.log(`${file}: ${items.length} valid items, ${errors.length} invalid rows.`);
if (errors.length > 0 && !values['skip-invalid']) {
  console.error(
    'Nothing written. Fix the rows above, or pass --skip-invalid to load the valid ones.',
  );
  process.exit(1);
}
if (values['dry-run']) {
  console.log('Dry run: nothing written.');
  process.exit(0);
}

const { bridgeUrl, stack } = await runningOrLocalStack(settings).catch(exitIfDataDirInUse);
const running = bridgeUrl !== undefined;
const bar = progressBar({ label: 'items', total: items.length, unit: 'count' });
let code = 0;
try {
  await writeCatalog(worldWriter(running ? bridgeUrl : undefined), items, (n) => bar.update(n));
  bar.done(`${items.length} items written ${running ? `via ${bridgeUrl}` : 'to the local stack'}`);
} catch (error) {
  console.error(`Loading failed: ${(error as Error).message}`);
  code = 1;
} finally {
  await stack?.emulators.stop();
}
process.exit(code);
