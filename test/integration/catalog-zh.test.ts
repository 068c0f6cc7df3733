import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecommendResponse } from '#lib/recommend/service.ts';
import { adminApi } from '#local/adminApi.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { worldWriter } from '#local/demo.ts';
import { startScheduler } from '#local/scheduler.ts';
import { announceBridge } from '#local/stack.ts';
import { ownAppTable } from '#test/support/ownTables.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

const run = promisify(execFile);
/** `npm run catalog:load` starts tsx and writes through the running bridge. */
const CLI_TIMEOUT_MS = 60_000;

let bridge: Bridge;
let dataDir: string;

/** A mixed-language catalog file, as a shop exports it. */
const CATALOG = [
  {
    id: 'zh-cup',
    title: '山野保温杯',
    category: '厨房',
    price: 199,
    description: '轻便，保温十二小时。',
    tags: ['保温', '户外'],
  },
  { id: 'zh-lamp', title: '北欧台灯', category: '家居', price: 299, description: '暖光护眼。' },
  { id: 'zh-tea', title: '经典茶叶罐', category: '厨房', price: 59 },
  {
    id: 'en-bottle',
    title: 'Insulated Bottle',
    category: 'Kitchen',
    price: 29,
    description: 'Keeps drinks hot.',
  },
  { id: 'en-tent', title: 'Ridge Tent', category: 'Outdoor', price: 200 },
];

beforeAll(async () => {
  await ownAppTable(`catalog-zh-${Date.now()}`);
  process.env.MUSE_MODEL_ID = (await publishTinyModel('test/catalog-zh')).id;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-catalog-zh-${Date.now()}`;
  const admin = adminApi(startScheduler([]), worldWriter());
  bridge = await startBridge({
    port: 0,
    functions: {
      // CLIs know a running npm start by its health answering.
      health: () => import('#functions/health.ts'),
      recommend: () => import('#functions/recommend.ts'),
      local: async () => ({ api: admin, handler: admin.handler }),
    },
  });
  dataDir = await mkdtemp(join(tmpdir(), 'muse-catalog-zh-'));
  await announceBridge(dataDir, bridge.url);
});
afterAll(async () => {
  await bridge?.close();
});

const recommend = async (body: unknown) => {
  const res = await fetch(`${bridge.url}/recommend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RecommendResponse };
};

describe('a mixed-language catalog loaded with npm run catalog:load', () => {
  it(
    'finds the 保温杯 item for the need "保温杯", and the English bottle for "insulated bottle"',
    async () => {
      const file = join(dataDir, 'catalog.json');
      await writeFile(file, JSON.stringify(CATALOG));
      const { stdout, stderr } = await run('npx', ['tsx', 'scripts/catalog-load.ts', file], {
        env: { ...process.env, MUSE_DATA_DIR: dataDir },
        timeout: CLI_TIMEOUT_MS,
      });
      expect(stdout).toContain('5 valid items, 0 invalid rows');
      // Through this bridge, as through a running npm start (progress goes to stderr).
      expect(stderr).toContain(`5 items written via ${bridge.url}`);

      const zh = await recommend({ need: '保温杯', k: 3 });
      const en = await recommend({ need: 'insulated bottle', k: 3 });

      expect(zh.status, JSON.stringify(zh.body)).toBe(200);
      expect(zh.body.items?.[0]?.itemId, JSON.stringify(zh.body).slice(0, 1500)).toBe('zh-cup');
      expect(en.status).toBe(200);
      expect(en.body.items[0]?.itemId).toBe('en-bottle');
    },
    CLI_TIMEOUT_MS + 30_000,
  );
});
