import { createDynamoClient, createS3Client } from '#lib/aws/clients.ts';
import { parseConfig } from '#lib/config.ts';

/** Config for the emulators the global setup started. */
export const testConfig = () => parseConfig(process.env);

/** Fresh S3 and DynamoDB clients pointed at the test emulators. */
export function testClients() {
  const cfg = testConfig();
  return { cfg, s3: createS3Client(cfg), dynamo: createDynamoClient(cfg) };
}
