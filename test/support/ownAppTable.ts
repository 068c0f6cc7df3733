import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { APP_TABLE } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { createTableInput } from '#local/provision.ts';
import { testClients } from './clients.ts';

/**
 * Gives this test file (its own process) an app table of its own, named
 * `muse-app-<name>`, and points `MUSE_APP_TABLE` at it. Call it before
 * anything reads the configuration: the served day (`INSIGHTS`/`AS_OF`) is
 * one item per table, and a nightly run in another file must not move it.
 */
export async function ownAppTable(name: string): Promise<string> {
  const table = `muse-app-${name}`;
  await testClients().dynamo.send(new CreateTableCommand(createTableInput(APP_TABLE, table)));
  process.env[ENV.appTable] = table;
  return table;
}
