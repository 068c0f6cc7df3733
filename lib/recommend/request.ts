import { z } from 'zod';
import { ItemId } from '../catalog/schema.ts';
import { CustomerId } from '../events/schema.ts';

/** Largest accepted recommend body. */
export const RECOMMEND_MAX_BYTES = 32 * 1024;

/** `POST /recommend`. Strict: an unknown field is a 400 naming it. */
export const RecommendRequest = z
  .strictObject({
    customerId: CustomerId.optional(),
    need: z.string().trim().min(2, { error: 'must be at least 2 characters' }).max(300).optional(),
    k: z.int().min(1).max(50).default(10),
    filters: z
      .strictObject({
        categories: z.array(z.string().min(1).max(64)).max(20).optional(),
        minPrice: z.number().min(0).optional(),
        maxPrice: z.number().min(0).optional(),
        availableOnly: z.boolean().default(true),
        excludeSeen: z.boolean().default(false),
      })
      .refine(
        (f) => f.minPrice === undefined || f.maxPrice === undefined || f.minPrice <= f.maxPrice,
        {
          path: ['maxPrice'],
          error: 'must be ≥ minPrice',
        },
      )
      .default({ availableOnly: true, excludeSeen: false }),
    diversity: z.number().min(0).max(1).default(0.3),
    exclude: z.array(ItemId).max(200).default([]),
  })
  .refine((r) => r.customerId !== undefined || r.need !== undefined, {
    path: ['customerId'],
    error: 'give a customerId, a need (free text), or both',
  })
  // The cross-field rules, for the OpenAPI document (JSON Schema cannot compare two fields).
  .meta({
    anyOf: [{ required: ['customerId'] }, { required: ['need'] }],
    description: 'customerId, need, or both. filters.minPrice must not exceed filters.maxPrice.',
  });

/** A validated recommend request (defaults applied). */
export type RecommendRequest = z.output<typeof RecommendRequest>;
