import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalStack } from '#local/stack.ts';

describe('local stack persistence', () => {
  it('reuses tables and buckets from the data directory on a second start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'muse-persist-'));
    try {
      const first = await startLocalStack({ dataDir });
      await first.emulators.stop();

      const second = await startLocalStack({ dataDir });
      await second.emulators.stop();

      expect(first.provisioned.created).toHaveLength(4);
      expect(second.provisioned.created).toEqual([]);
      expect(second.provisioned.existing).toEqual(first.provisioned.created);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
