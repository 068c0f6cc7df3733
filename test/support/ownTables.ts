import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { APP_TABLE, EVENTS_TABLE, type TableDefinition } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { createTableInput } from '#local/provision.ts';
import { testClients } from './clients.ts';

async function ownTable(definition: TableDefinition, table: string, variable: string) {
  await testClients().dynamo.send(new CreateTableCommand(createTableInput(definition, table)));
  process.env[variable] = table;
  return table;
}

/**
 * Gives this test file (its own process) an app table of its own, named
 * `muse-app-<name>`, and points `MUSE_APP_TABLE` at it. Call it before
 * anything reads the configuration: the served day (`INSIGHTS`/`AS_OF`) is
 * one item per table, and a nightly run in another file must not move it.
 */
export const ownAppTable = (name: string): Promise<string> =>
  ownTable(APP_TABLE, `muse-app-${name}`, ENV.appTable);

/**
 * Gives this test file an events table of its own, `muse-events-<name>`, and
 * points `MUSE_EVENTS_TABLE` at it, for a file whose assertions depend on a
 * customer's stored events: the fuzz storm in another file posts events for,
 * and erases, the same hostile ids on the shared table.
 */
export const ownEventsTable = (name: string): Promise<string> =>
  ownTable(EVENTS_TABLE, `muse-events-${name}`, ENV.eventsTable);
