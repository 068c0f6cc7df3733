import { describe, expect, it } from 'vitest';
import { parseDictJson } from '#lib/dict.ts';

describe('parseDictJson: JSON keyed by client ids', () => {
  it('makes every object null-prototype at any depth, `__proto__` and `constructor` ordinary keys', () => {
    const text =
      '{"__proto__":{"polluted":true},"constructor":2,"days":[{"items":{"toString":3}}],"n":null,"s":"x"}';
    const parsed = parseDictJson<Record<string, unknown>>(text);

    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor', 'days', 'n', 's']);
    expect(Object.getPrototypeOf(parsed['__proto__'])).toBeNull();
    expect((parsed['__proto__'] as Record<string, unknown>).polluted).toBe(true);
    const days = parsed.days as Array<{ items: Record<string, unknown> }>;
    expect(Array.isArray(days)).toBe(true);
    expect(Object.getPrototypeOf(days[0])).toBeNull();
    expect(Object.getPrototypeOf(days[0]?.items)).toBeNull();
    expect(days[0]?.items.toString).toBe(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(parsed)).toBe(text);
  });
});
