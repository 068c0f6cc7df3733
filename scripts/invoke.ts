/**
 * `npm run invoke -- <function> [json|@file] [--url URL] [--path P] [--method M]
 *   [--stack Muse] [--outputs cdk-outputs.json] [--unsigned]`
 *
 * Calls a Muse function URL with a SigV4-signed request (credentials from the
 * default AWS chain: env, profile, SSO, instance role) and prints the
 * response as it streams. The URL comes from `--url` or from the outputs file
 * `npx cdk deploy --outputs-file cdk-outputs.json` writes. Against `npm start`
 * (`--url http://127.0.0.1:3000`), which accepts unsigned requests, missing
 * credentials are fine.
 */

import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import {
  INVOKE_TARGETS,
  type InvokeTarget,
  InvokeUsageError,
  invoke,
  readBody,
  resolveBaseUrl,
} from '#tools/cli/invoke.ts';
import type { Credentials } from '#tools/cli/sigv4.ts';

const usage = `Usage: npm run invoke -- <${Object.keys(INVOKE_TARGETS).join('|')}> [json|@file] [--url URL] [--path /p] [--method GET|POST|DELETE] [--stack Muse] [--outputs cdk-outputs.json] [--unsigned]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      path: { type: 'string' },
      method: { type: 'string' },
      stack: { type: 'string', default: 'Muse' },
      outputs: { type: 'string', default: 'cdk-outputs.json' },
      unsigned: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [name, bodyArg, ...extra] = positionals;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!name || !(name in INVOKE_TARGETS) || extra.length > 0) {
    throw new InvokeUsageError(
      name && !(name in INVOKE_TARGETS) ? `Unknown function "${name}".\n${usage}` : usage,
    );
  }
  const target = name as InvokeTarget;
  const defaults = INVOKE_TARGETS[target];
  const base = await resolveBaseUrl({
    target,
    ...(values.url ? { url: values.url } : {}),
    outputsFile: values.outputs,
    stack: values.stack,
  });
  const body = await readBody(bodyArg);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname);
  let credentials: Credentials | undefined;
  if (!values.unsigned) {
    try {
      credentials = await defaultProvider()();
    } catch (error) {
      if (!local) {
        throw new InvokeUsageError(
          `No AWS credentials for signing (${(error as Error).message}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; function URLs require SigV4.`,
        );
      }
      console.error('(no AWS credentials: sending unsigned, which only the local stack accepts)');
    }
  }
  const { status, contentType } = await invoke(
    {
      base,
      method: (values.method ?? (body ? 'POST' : defaults.method)).toUpperCase(),
      path: values.path ?? defaults.path,
      ...(body !== undefined ? { body } : {}),
      ...(credentials ? { credentials } : {}),
    },
    (chunk) => process.stdout.write(chunk),
  );
  if (!contentType.includes('ndjson')) process.stdout.write('\n');
  console.error(`HTTP ${status}${credentials ? ' (SigV4-signed)' : ''}`);
  return status >= 400 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(error instanceof InvokeUsageError ? error.message : error);
    process.exitCode = 2;
  },
);
