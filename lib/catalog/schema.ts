/**
 * The catalog item: what `npm run catalog:load` accepts (JSON or CSV), what
 * the app table stores and what recommendations return.
 */
import { z } from 'zod';
import { Id } from '../ids.ts';

/** Limits of one catalog item. */
export const CATALOG_LIMITS = {
  titleChars: 200,
  descriptionChars: 2000,
  tags: 32,
  tagChars: 48,
  categoryChars: 64,
} as const;

/** A catalog item id (same alphabet as the `itemId` of engagement events). */
export const ItemId = Id('catalog item id');

/** One catalog item. Strict: an unknown column is an error, not lost data. */
export const CatalogItem = z.strictObject({
  id: ItemId,
  title: z.string().trim().min(1, { error: 'must not be empty' }).max(CATALOG_LIMITS.titleChars),
  description: z.string().trim().max(CATALOG_LIMITS.descriptionChars).default(''),
  category: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(CATALOG_LIMITS.categoryChars),
  price: z.number({ error: 'must be a number, e.g. 19.99' }).min(0, { error: 'must be ≥ 0' }),
  tags: z
    .array(z.string().trim().min(1).max(CATALOG_LIMITS.tagChars))
    .max(CATALOG_LIMITS.tags)
    .default([]),
  available: z.boolean({ error: 'must be true or false (in CSV also yes/no/1/0)' }).default(true),
});

/** A validated catalog item. */
export type CatalogItem = z.infer<typeof CatalogItem>;

/** A catalog item as a file may hold it (defaults not yet applied). */
export type CatalogItemInput = z.input<typeof CatalogItem>;
