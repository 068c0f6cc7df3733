import { describe, expect, it } from 'vitest';
import { keyedCache } from '#lib/cache.ts';

describe('keyedCache', () => {
  it('loads a key once within the TTL and again after it', async () => {
    let clock = 0;
    let loads = 0;
    const get = keyedCache(
      async (key: string) => {
        loads++;
        return `${key}:${loads}`;
      },
      1000,
      () => clock,
    );

    const first = await get('a');
    clock = 999;
    const cached = await get('a');
    clock = 1000;
    const reloaded = await get('a');

    expect([first, cached, reloaded]).toEqual(['a:1', 'a:1', 'a:2']);
  });

  it('caches client keys such as __proto__ and constructor like any other key', async () => {
    const loaded: string[] = [];
    const get = keyedCache(async (key: string) => {
      loaded.push(key);
      return key.length;
    });

    const values = [await get('__proto__'), await get('constructor'), await get('__proto__')];

    expect(values).toEqual([9, 11, 9]);
    expect(loaded).toEqual(['__proto__', 'constructor']);
  });
});
