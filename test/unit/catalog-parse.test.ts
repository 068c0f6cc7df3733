import { describe, expect, it } from 'vitest';
import { catalogFormat, parseCatalog } from '#lib/catalog/parse.ts';

describe('parseCatalog', () => {
  it('reads CSV: numbers, |-separated tags, yes/no booleans, defaults for empty cells', () => {
    const csv = [
      'id,title,description,category,price,tags,available',
      'j1,Trail Jacket,"Light, packable shell",Outdoor,89.5,outdoor| light ,no',
      'j2,Mug,,Kitchen,7,,',
    ].join('\n');

    const { items, errors } = parseCatalog(csv, 'csv');

    expect(errors).toEqual([]);
    expect(items).toEqual([
      {
        id: 'j1',
        title: 'Trail Jacket',
        description: 'Light, packable shell',
        category: 'Outdoor',
        price: 89.5,
        tags: ['outdoor', 'light'],
        available: false,
      },
      {
        id: 'j2',
        title: 'Mug',
        description: '',
        category: 'Kitchen',
        price: 7,
        tags: [],
        available: true,
      },
    ]);
  });

  it('reports every bad row with its number, id and fields, and keeps the good ones', () => {
    const json = JSON.stringify([
      { id: 'a', title: 'A', category: 'X', price: 1 },
      { id: 'b', title: '', category: 'X', price: 'cheap' },
      { id: 'a', title: 'Again', category: 'X', price: 2 },
      { id: 'c', title: 'C', category: 'X', price: 3, colour: 'red' },
    ]);

    const { items, errors } = parseCatalog(json, 'json');

    expect(items.map((i) => i.id)).toEqual(['a']);
    expect(errors.map((e) => [e.row, e.id, e.issues.map((i) => i.path)])).toEqual([
      [2, 'b', ['title', 'price']],
      [3, 'a', ['id']],
      [4, 'c', ['colour']],
    ]);
    expect(errors[1]?.issues[0]?.message).toContain('duplicate id "a"');
    expect(errors[2]?.issues[0]?.message).toBe('unknown field');
  });

  it('refuses a JSON file that is not an array, and picks the format from the name', () => {
    expect(() => parseCatalog('{"id":"a"}', 'json')).toThrow(/array of items/);
    expect(catalogFormat('items.CSV')).toBe('csv');
    expect(catalogFormat('items.json')).toBe('json');
  });
});
