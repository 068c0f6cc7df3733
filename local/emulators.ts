import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
// Both emulators are CommonJS without types.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => { run(): Promise<AddressInfo>; close(): Promise<void> };

/** Where and how to run the emulators. */
export interface EmulatorOptions {
  /** Directory holding `dynamo/` and `s3/`; omit for in-memory DynamoDB and a temp S3 dir. */
  dataDir: string;
  /** Port for dynalite; 0 picks a free one. */
  dynamoPort?: number;
  /** Port for s3rver; 0 picks a free one. */
  s3Port?: number;
  /** Keep DynamoDB in memory instead of under `dataDir/dynamo` (tests). */
  inMemoryDynamo?: boolean;
}

/** Running emulators and how to reach and stop them. */
export interface Emulators {
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** Stops both servers; DynamoDB flushes and closes its LevelDB store first. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A running s3rver. */
export interface RunningS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver alone on `directory` (used by CLIs that need only S3 while
 * `npm start` may hold the DynamoDB store; s3rver keeps plain files, so two
 * servers on one directory see each other's objects).
 */
export async function startS3rver(directory: string, port = 0): Promise<RunningS3> {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: HOST,
    port,
    directory,
    silent: true,
    allowMismatchedSignatures: true,
  });
  const address = await server.run();
  return { endpoint: `http://${HOST}:${address.port}`, stop: () => server.close() };
}

/** Raised when another live process already serves the data directory. */
export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

/** Whether a process with this pid is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/.muse.lock` for this process. dynalite's LevelDB store
 * admits one process; a second one would die with an uncatchable "Database
 * is closed", so we refuse first, naming the holder. A lock left by a dead
 * process is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lock = join(dataDir, '.muse.lock');
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new DataDirInUseError(
      `${dataDir}/ is in use by another Muse process (pid ${holder}). ` +
        'The CLIs (npm run job, insights, seed, catalog:load, report:screenshot) work through a running npm start ' +
        'once it prints "Muse is running": wait for that, or for the other CLI to finish, and run this again. ' +
        'A second npm start needs its own data: MUSE_DATA_DIR=.data-2 PORT=3001 npm start.',
    );
  }
  await writeFile(lock, `${process.pid}\n`);
  return () => rm(lock, { force: true });
}

/**
 * Starts dynalite and s3rver in this process on loopback. Data persists under
 * `dataDir` so a second start sees the first one's tables and objects.
 *
 * @example
 * ```ts
 * const emu = await startEmulators({ dataDir: '.data' });
 * // ... use emu.dynamoEndpoint / emu.s3Endpoint
 * await emu.stop();
 * ```
 */
export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  const s3Dir = join(options.dataDir, 's3');
  const dynamoDir = join(options.dataDir, 'dynamo');
  await mkdir(s3Dir, { recursive: true });
  if (!options.inMemoryDynamo) await mkdir(dynamoDir, { recursive: true });
  const unlock = options.inMemoryDynamo ? async () => {} : await lockDataDir(options.dataDir);

  const dynamo = dynalite({
    ...(options.inMemoryDynamo ? {} : { path: dynamoDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      dynamo.once('error', reject);
      dynamo.listen(options.dynamoPort ?? 0, HOST, () => resolve());
    });
  } catch (error) {
    await unlock();
    throw error;
  }
  const dynamoPort = (dynamo.address() as AddressInfo).port;

  let s3: RunningS3;
  try {
    s3 = await startS3rver(s3Dir, options.s3Port ?? 0);
  } catch (error) {
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    await unlock();
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    dynamoEndpoint: `http://${HOST}:${dynamoPort}`,
    s3Endpoint: s3.endpoint,
    stop() {
      stopped ??= Promise.all([
        new Promise<void>((resolve, reject) =>
          dynamo.close((err?: Error) => (err ? reject(err) : resolve())),
        ),
        s3.stop(),
      ]).then(unlock);
      return stopped;
    },
  };
}
