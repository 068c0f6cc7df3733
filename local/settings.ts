import { z } from 'zod';

const portSchema = z.coerce
  .number({ error: 'must be a port number' })
  .int()
  .min(0, { error: 'must be 0 (any free port) to 65535' })
  .max(65535, { error: 'must be 0 (any free port) to 65535' });

const schema = z.object({
  PORT: portSchema.default(3000),
  MUSE_DATA_DIR: z.string().min(1).default('.data'),
  MUSE_DYNAMO_PORT: portSchema.default(0),
  MUSE_S3_PORT: portSchema.default(0),
});

/** Settings of the local stack (`npm start`, `npm run job`). */
export interface LocalSettings {
  /** Bridge port (`PORT`, default 3000). */
  port: number;
  /** Data directory for the emulators (`MUSE_DATA_DIR`, default `.data`). */
  dataDir: string;
  /** dynalite port (`MUSE_DYNAMO_PORT`, default 0 = free port). */
  dynamoPort: number;
  /** s3rver port (`MUSE_S3_PORT`, default 0 = free port). */
  s3Port: number;
}

/** Parses the local stack's settings, naming the variable at fault. */
export function localSettings(
  env: Record<string, string | undefined> = process.env,
): LocalSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);
    throw new Error(`Invalid local settings: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  return {
    port: s.PORT,
    dataDir: s.MUSE_DATA_DIR,
    dynamoPort: s.MUSE_DYNAMO_PORT,
    s3Port: s.MUSE_S3_PORT,
  };
}
