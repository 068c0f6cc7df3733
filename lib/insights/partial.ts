import { dict } from '../dict.ts';
/**
 * The map side of the nightly job: a day's events (one shard, or any
 * customer-complete subset) folded into a mergeable {@link DayPartial}.
 * Everything in a partial is a sum, a min or a max, so {@link mergePartials}
 * is associative and commutative with {@link emptyPartial} as identity: the
 * job may map shards in any order, in any number of processes, and merge.
 */
import type { EngagementEvent, EventType } from '../events/schema.ts';
import {
  type AttributedCounts,
  isMessageType,
  MAX_MESSAGES_PER_DAY,
  type MessageEvent,
} from './attribution.ts';

/** Views of two items by one customer this close together count as co-visited. */
export const SESSION_WINDOW_MS = 30 * 60 * 1000;
/**
 * Co-visitation window: in a session, each item pairs with the next
 * `MAX_SESSION_ITEMS - 1` distinct items touched after it (every pair when
 * the session has at most this many), so a long session counts all its
 * items, by time and not by id, with at most 19 pairs per item.
 */
export const MAX_SESSION_ITEMS = 20;

/** Types that count as engagement with a message or the shop (for channel and send-time). */
const ENGAGEMENT: ReadonlySet<EventType> = new Set([
  'open',
  'click',
  'view',
  'add_to_cart',
  'purchase',
]);

/** One customer's activity in a partial. */
export interface CustomerDay {
  /** Events per type. */
  counts: Partial<Record<EventType, number>>;
  /** Sum of purchase values, in integer cents (exact, so merges never drift). */
  revenueCents: number;
  /** Earliest and latest event time (UTC ISO). */
  firstTs: string;
  lastTs: string;
  /** Engagement events per channel. */
  channels: Record<string, number>;
  /** Opens and clicks by UTC hour (24) and weekday (7, Sunday = 0). */
  hours: number[];
  weekdays: number[];
  /** Per item: views and purchases. */
  items: Record<string, { views: number; purchases: number }>;
  /**
   * Campaign events (delivered, open, click, purchase with a campaign and
   * variant), earliest first, at most {@link MAX_MESSAGES_PER_DAY}: what
   * attribution credits responses to deliveries from. Absent when none.
   */
  messages?: MessageEvent[];
}

/**
 * A copy variant's funnel. In a partial: the day's events of the variant.
 * In a campaign's state: the day's deliveries and the unique responses of
 * the day credited to a delivery (see `attribution.ts`).
 */
export interface VariantCounts {
  delivered: number;
  opens: number;
  clicks: number;
  /** Purchases carrying the variant's `variantId`. */
  conversions: number;
  revenueCents: number;
}

/** An item's activity in a partial. */
export interface ItemCounts {
  views: number;
  carts: number;
  purchases: number;
  /**
   * Sessions (see {@link SESSION_WINDOW_MS}) that viewed or bought the item:
   * the diagonal beside the co-visit pairs in the nightly item-item model.
   * Absent in item days stored before it was counted.
   */
  sessions?: number;
}

/** The mergeable result of mapping some events. */
export interface DayPartial {
  events: number;
  customers: Record<string, CustomerDay>;
  /** Keyed `<campaignId>|<variantId>`. */
  variants: Record<string, VariantCounts>;
  items: Record<string, ItemCounts>;
  /** Co-visited item pairs, keyed `<a>|<b>` with a < b. */
  coVisits: Record<string, number>;
}

/** The partial of no events (identity of {@link mergePartials}). */
export function emptyPartial(): DayPartial {
  return { events: 0, customers: dict(), variants: dict(), items: dict(), coVisits: dict() };
}

const zeros = (n: number) => new Array<number>(n).fill(0);

function customerDay(ts: string): CustomerDay {
  return {
    counts: {},
    revenueCents: 0,
    firstTs: ts,
    lastTs: ts,
    channels: dict(),
    hours: zeros(24),
    weekdays: zeros(7),
    items: dict(),
  };
}

/** The entry of `record` at `key`, created by `make` when missing. */
function entry<T>(record: Record<string, T>, key: string, make: () => T): T {
  const found = record[key];
  if (found !== undefined) return found;
  const made = make();
  record[key] = made;
  return made;
}

const add = (record: Record<string, number>, key: string, n = 1) => {
  record[key] = (record[key] ?? 0) + n;
};

/** A customer's item touch (a view or a purchase) at a time, for sessions. */
interface Touch {
  at: number;
  itemId: string;
}

/**
 * Co-visitation pairs of one customer's touches: items viewed or bought
 * within {@link SESSION_WINDOW_MS} of the previous touch form one session;
 * its distinct items, in the order first touched, pair with the items
 * within {@link MAX_SESSION_ITEMS} places after them, each pair once (keyed
 * `a|b` with a < b), and each item's session count goes up by one.
 */
function addSessions(touches: Touch[], partial: Pick<DayPartial, 'items' | 'coVisits'>) {
  const into = partial.coVisits;
  touches.sort((a, b) => a.at - b.at || a.itemId.localeCompare(b.itemId));
  let session = new Set<string>();
  let last = Number.NEGATIVE_INFINITY;
  const flush = () => {
    const items = [...session];
    for (let i = 0; i < items.length; i++) {
      const a = items[i] as string;
      const counts = partial.items[a];
      if (counts) counts.sessions = (counts.sessions ?? 0) + 1;
      for (let j = i + 1; j < Math.min(items.length, i + MAX_SESSION_ITEMS); j++) {
        const b = items[j] as string;
        add(into, a < b ? `${a}|${b}` : `${b}|${a}`);
      }
    }
  };
  for (const touch of touches) {
    if (touch.at - last > SESSION_WINDOW_MS) {
      flush();
      session = new Set();
    }
    session.add(touch.itemId);
    last = touch.at;
  }
  flush();
}

/**
 * Folds events into a partial page by page. Sessions are built per customer
 * across every page added, so a session split by a page boundary still
 * counts whole; {@link DayMapper.finish} closes them. The events added must
 * together be customer-complete (all of a customer's events of the day, as
 * one shard is).
 *
 * @example
 * ```ts
 * const mapper = new DayMapper();
 * for await (const page of store.shardPages(day, shard)) mapper.add(page);
 * const partial = mapper.finish();
 * ```
 */
export class DayMapper {
  private readonly partial = emptyPartial();
  private readonly touches = new Map<string, Touch[]>();

  /** Folds `events` in. */
  add(events: Iterable<EngagementEvent>): this {
    const into = this.partial;
    for (const e of events) {
      into.events++;
      const c = entry(into.customers, e.customerId, () => customerDay(e.ts));
      add(c.counts, e.type);
      if (e.ts < c.firstTs) c.firstTs = e.ts;
      if (e.ts > c.lastTs) c.lastTs = e.ts;
      const at = new Date(e.ts);
      if (ENGAGEMENT.has(e.type) && e.channel) add(c.channels, e.channel);
      if (e.type === 'open' || e.type === 'click') {
        c.hours[at.getUTCHours()] = (c.hours[at.getUTCHours()] ?? 0) + 1;
        c.weekdays[at.getUTCDay()] = (c.weekdays[at.getUTCDay()] ?? 0) + 1;
      }
      const cents = Math.round((e.value ?? 0) * 100);
      if (e.type === 'purchase') c.revenueCents += cents;
      if (e.itemId) this.addItem(c, e, e.itemId, at.getTime());
      // A variant id is enough: a response without a campaign id is credited to the latest
      // delivery of that variant (whatever its campaign); a delivery without one counts under
      // the campaign "" (variants sent outside a named campaign).
      if (e.variantId) {
        const key = `${e.campaignId ?? ''}|${e.variantId}`;
        const v = entry(into.variants, key, () => ({
          delivered: 0,
          opens: 0,
          clicks: 0,
          conversions: 0,
          revenueCents: 0,
        }));
        if (isMessageType(e.type)) {
          const m: MessageEvent = { key, type: e.type, ts: e.ts };
          if (e.type === 'purchase') m.cents = cents;
          if (c.messages) c.messages.push(m);
          else c.messages = [m];
        }
        if (e.type === 'delivered') v.delivered++;
        else if (e.type === 'open') v.opens++;
        else if (e.type === 'click') v.clicks++;
        else if (e.type === 'purchase') {
          v.conversions++;
          v.revenueCents += cents;
        }
      }
    }
    return this;
  }

  private addItem(c: CustomerDay, e: EngagementEvent, itemId: string, at: number) {
    const ci = entry(c.items, itemId, () => ({ views: 0, purchases: 0 }));
    const item = entry(this.partial.items, itemId, () => ({
      views: 0,
      carts: 0,
      purchases: 0,
      sessions: 0,
    }));
    if (e.type === 'view') {
      ci.views++;
      item.views++;
    } else if (e.type === 'add_to_cart') item.carts++;
    else if (e.type === 'purchase') {
      ci.purchases++;
      item.purchases++;
    }
    if (e.type === 'view' || e.type === 'purchase') {
      const touches = this.touches.get(e.customerId);
      if (touches) touches.push({ at, itemId: itemId });
      else this.touches.set(e.customerId, [{ at, itemId: itemId }]);
    }
  }

  /** Closes every customer's sessions and returns the partial (call once). */
  finish(): DayPartial {
    for (const touches of this.touches.values()) addSessions(touches, this.partial);
    this.touches.clear();
    for (const c of Object.values(this.partial.customers)) {
      if (c.messages) c.messages = boundedMessages(c.messages);
    }
    return this.partial;
  }
}

/**
 * Folds customer-complete events into a partial in one call (see
 * {@link DayMapper} for page-by-page input).
 *
 * @example
 * ```ts
 * const partial = mapEvents(eventsOfOneShard);
 * ```
 */
export function mapEvents(events: Iterable<EngagementEvent>): DayPartial {
  return new DayMapper().add(events).finish();
}

function sumRecords(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = dict(a);
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function sumArrays(a: number[], b: number[]): number[] {
  return a.map((v, i) => v + (b[i] ?? 0));
}

/** Merges maps of counters (objects whose values are all numbers). */
function mergeNested<T extends object>(
  a: Record<string, T>,
  b: Record<string, T>,
): Record<string, T> {
  const out: Record<string, T> = dict(a);
  for (const [k, v] of Object.entries(b)) {
    const mine = out[k];
    out[k] = (
      mine
        ? sumRecords(mine as Record<string, number>, v as Record<string, number>)
        : dict(v as Record<string, unknown>)
    ) as T;
  }
  return out;
}

const byTime = (a: MessageEvent, b: MessageEvent) =>
  a.ts.localeCompare(b.ts) || a.type.localeCompare(b.type) || a.key.localeCompare(b.key);

/** Messages in one order whatever the order they came in, the earliest {@link MAX_MESSAGES_PER_DAY}. */
function boundedMessages(messages: MessageEvent[]): MessageEvent[] {
  return messages.sort(byTime).slice(0, MAX_MESSAGES_PER_DAY);
}

function mergeCustomer(a: CustomerDay, b: CustomerDay): CustomerDay {
  const messages = [...(a.messages ?? []), ...(b.messages ?? [])];
  return {
    counts: sumRecords(a.counts, b.counts),
    revenueCents: a.revenueCents + b.revenueCents,
    firstTs: a.firstTs < b.firstTs ? a.firstTs : b.firstTs,
    lastTs: a.lastTs > b.lastTs ? a.lastTs : b.lastTs,
    channels: sumRecords(a.channels, b.channels),
    hours: sumArrays(a.hours, b.hours),
    weekdays: sumArrays(a.weekdays, b.weekdays),
    items: mergeNested(a.items, b.items),
    ...(messages.length > 0 ? { messages: boundedMessages(messages) } : {}),
  };
}

/**
 * Merges two partials into a new one (neither argument changes): sums,
 * minima and maxima, so the order and grouping of merges never changes the
 * result. The same code as {@link mergeInto}, which the job uses.
 *
 * @example
 * ```ts
 * const day = partials.reduce(mergePartials, emptyPartial());
 * ```
 */
export function mergePartials(a: DayPartial, b: DayPartial): DayPartial {
  return mergeInto(mergeInto(emptyPartial(), a), b);
}

function addInto(target: Record<string, number>, source: Record<string, number>): void {
  for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
}

function addNestedInto<T extends object>(target: Record<string, T>, source: Record<string, T>) {
  for (const [k, v] of Object.entries(source)) {
    const mine = target[k];
    if (mine) addInto(mine as Record<string, number>, v as Record<string, number>);
    else target[k] = dict(v as Record<string, unknown>) as T;
  }
}

/**
 * Merges `source` into `target` in place (same result as
 * {@link mergePartials}, without copying `target`): how the job folds many
 * shard partials into one while holding only the accumulator. `source` is
 * not modified, but `target` may share nested objects with it afterwards,
 * so drop `source` after merging.
 */
export function mergeInto(target: DayPartial, source: DayPartial): DayPartial {
  target.events += source.events;
  for (const [id, c] of Object.entries(source.customers)) {
    const mine = target.customers[id];
    target.customers[id] = mine ? mergeCustomer(mine, c) : c;
  }
  addNestedInto(target.variants, source.variants);
  addNestedInto(target.items, source.items);
  addInto(target.coVisits, source.coVisits);
  return target;
}

/**
 * What the steps after a shard's reduce need of its day: every sum of the
 * partial except the per-customer activity (which the shard has already
 * written into profiles), so it stays small however many customers the
 * shard has, and merges like a partial.
 */
export interface DaySummary {
  events: number;
  /** Customers active that day. */
  activeCustomers: number;
  /** Events per type (the funnel). */
  funnel: Partial<Record<EventType, number>>;
  /** Sum of purchase values, in integer cents. */
  revenueCents: number;
  variants: Record<string, VariantCounts>;
  items: Record<string, ItemCounts>;
  coVisits: Record<string, number>;
  /** Unique responses of the day credited to a delivery, per `<campaignId>|<variantId>`. */
  attributed: Record<string, AttributedCounts>;
}

/** The summary of no events (identity of {@link mergeSummaryInto}). */
export function emptySummary(): DaySummary {
  return {
    events: 0,
    activeCustomers: 0,
    funnel: {},
    revenueCents: 0,
    variants: dict(),
    items: dict(),
    coVisits: dict(),
    attributed: dict(),
  };
}

/** The summary of a customer-complete partial, with the responses its reduce credited. */
export function summarizePartial(
  partial: DayPartial,
  attributed: Record<string, AttributedCounts> = dict(),
): DaySummary {
  const summary = emptySummary();
  summary.events = partial.events;
  for (const c of Object.values(partial.customers)) {
    summary.activeCustomers++;
    addInto(summary.funnel as Record<string, number>, c.counts as Record<string, number>);
    summary.revenueCents += c.revenueCents;
  }
  summary.variants = partial.variants;
  summary.items = partial.items;
  summary.coVisits = partial.coVisits;
  summary.attributed = attributed;
  return summary;
}

/** Adds `source` into `target` (sums only: any order and grouping gives the same result). */
export function mergeSummaryInto(target: DaySummary, source: DaySummary): DaySummary {
  target.events += source.events;
  target.activeCustomers += source.activeCustomers;
  addInto(target.funnel as Record<string, number>, source.funnel as Record<string, number>);
  target.revenueCents += source.revenueCents;
  addNestedInto(target.variants, source.variants);
  addNestedInto(target.items, source.items);
  addInto(target.coVisits, source.coVisits);
  addNestedInto(target.attributed, source.attributed);
  return target;
}
