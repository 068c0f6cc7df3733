import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError } from '#local/emulators.ts';
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

  it('refuses a data directory another live process holds, naming its pid', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'muse-lock-'));
    try {
      // The test runner's parent process is alive and is not this process.
      await writeFile(join(dataDir, '.muse.lock'), `${process.ppid}\n`);

      const act = startLocalStack({ dataDir });

      await expect(act).rejects.toThrow(DataDirInUseError);
      await expect(act).rejects.toThrow(new RegExp(`pid ${process.ppid}.*MUSE_DATA_DIR`));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a dead process and releases it on stop', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'muse-lock-'));
    try {
      await writeFile(join(dataDir, '.muse.lock'), '2147483646\n');

      const stack = await startLocalStack({ dataDir });
      await stack.emulators.stop();

      await expect(access(join(dataDir, '.muse.lock'))).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
