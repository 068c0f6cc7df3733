import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchGet, putAll } from '../aws/batch.ts';
import { APP_PARTITIONS } from '../aws/resources.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { CatalogItem } from './schema.ts';

/** Partition of the catalog in the app table. */
export const CATALOG_PK = APP_PARTITIONS.catalog;

/** Sort key of an item in {@link CATALOG_PK}. */
export const itemSortKey = (id: string) => `ITEM#${id}`;

/**
 * Where the catalog lives. One DynamoDB implementation
 * ({@link DynamoCatalogStore}); loading, the nightly signals and
 * recommendations depend on this interface only.
 */
export interface CatalogStore {
  /** Writes (creates or replaces) items. */
  putItems(items: readonly CatalogItem[]): Promise<void>;
  /** The items with these ids that exist. */
  getItems(ids: readonly string[]): Promise<Map<string, CatalogItem>>;
  /** Every item, page by page. */
  pages(): AsyncIterable<CatalogItem[]>;
}

const toItem = (row: Record<string, unknown>): CatalogItem => ({
  id: row.id as string,
  title: row.title as string,
  description: (row.description as string | undefined) ?? '',
  category: row.category as string,
  price: row.price as number,
  tags: (row.tags as string[] | undefined) ?? [],
  available: (row.available as boolean | undefined) ?? true,
});

/**
 * {@link CatalogStore} on the app table: every item in the one partition
 * `CATALOG` with sort key `ITEM#<id>`, so the whole catalog is one paginated
 * Query and a set of items one BatchGet.
 *
 * @example
 * ```ts
 * const catalog = new DynamoCatalogStore(documentClient(), config().appTable);
 * ```
 */
export class DynamoCatalogStore implements CatalogStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putItems(items: readonly CatalogItem[]): Promise<void> {
    await putAll(
      this.doc,
      this.table,
      items.map((item) => ({ pk: CATALOG_PK, sk: itemSortKey(item.id), ...item })),
      'catalog items',
      'loading is idempotent: run it again',
      10,
    );
  }

  async getItems(ids: readonly string[]): Promise<Map<string, CatalogItem>> {
    const unique = [...new Set(ids)];
    const { items, unknown } = await batchGet(
      this.doc,
      this.table,
      unique.map((id) => ({ pk: CATALOG_PK, sk: itemSortKey(id) })),
    );
    if (unknown.size > 0) {
      throw new ServiceUnavailableError(
        `Could not read ${unknown.size} catalog items (throttled); try again.`,
        5,
      );
    }
    return new Map(items.map((row) => [row.id as string, toItem(row)]));
  }

  async *pages(): AsyncIterable<CatalogItem[]> {
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': CATALOG_PK },
      },
    );
    for await (const page of pages) yield (page.Items ?? []).map(toItem);
  }
}

/** Every item of a catalog store, in id order. */
export async function allItems(store: Pick<CatalogStore, 'pages'>): Promise<CatalogItem[]> {
  const items: CatalogItem[] = [];
  for await (const page of store.pages()) items.push(...page);
  return items;
}

/** Items written per step of {@link writeCatalog}. */
export const CATALOG_WRITE_CHUNK = 500;

/**
 * Writes items in chunks of {@link CATALOG_WRITE_CHUNK}, reporting how many
 * are written so far. Idempotent: an item is replaced by its id.
 */
export async function writeCatalog(
  store: Pick<CatalogStore, 'putItems'>,
  items: readonly CatalogItem[],
  onProgress?: (written: number) => void,
): Promise<void> {
  for (let i = 0; i < items.length; i += CATALOG_WRITE_CHUNK) {
    await store.putItems(items.slice(i, i + CATALOG_WRITE_CHUNK));
    onProgress?.(Math.min(items.length, i + CATALOG_WRITE_CHUNK));
  }
}
