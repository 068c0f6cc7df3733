/**
 * Attribution of message responses to their delivery. An open, a click or a
 * purchase that carries a `variantId` counts for a message only when the
 * same customer had a delivery of that variant (of the same campaign, when
 * the response names one) at or before it and at most
 * {@link ATTRIBUTION_WINDOW_DAYS} days earlier; it goes to the latest such
 * delivery, and to that delivery's campaign. Each delivery counts at most one open, one
 * click and one conversion (unique responses), so every rate built from
 * these counts is a true fraction of deliveries. Responses with no delivery
 * in the window (and repeats) stay in the day's event funnel but count for
 * no message.
 *
 * Attribution is derived from the messages kept in a customer's profile
 * state ({@link MESSAGE_KEEP_DAYS} days of them), so it is the same function
 * of the same facts on every run.
 */
import { addDays, dayNumber } from '../days.ts';
import { dict } from '../dict.ts';
import type { EventType } from '../events/schema.ts';

/** Days after a delivery within which its opens, clicks and purchases count for it. */
export const ATTRIBUTION_WINDOW_DAYS = 7;
const WINDOW_MS = ATTRIBUTION_WINDOW_DAYS * 86_400_000;
/**
 * Days of messages a profile keeps: two windows and the day itself, so a
 * re-run of any day up to a window before the latest processed day sees
 * every delivery its responses can belong to.
 */
export const MESSAGE_KEEP_DAYS = 2 * ATTRIBUTION_WINDOW_DAYS + 1;
/** Campaign messages kept per customer and day (a bound on the profile item size); later ones are not attributed. */
export const MAX_MESSAGES_PER_DAY = 50;

/** The event types that take part in attribution. */
export type MessageType = 'delivered' | 'open' | 'click' | 'purchase';
/** Response types, each counted at most once per delivery. */
export type ResponseType = Exclude<MessageType, 'delivered'>;
const RESPONSE_TYPES: ReadonlySet<EventType> = new Set<EventType>(['open', 'click', 'purchase']);

/** A campaign event of a customer, as a profile keeps it. */
export interface MessageEvent {
  /** `<campaignId>|<variantId>`; the campaign part is empty when the event named none. */
  key: string;
  type: MessageType;
  ts: string;
  /** Purchase value in integer cents. */
  cents?: number;
}

/** Whether `type` is one of the {@link MessageType}s. */
export function isMessageType(type: EventType): type is MessageType {
  return type === 'delivered' || RESPONSE_TYPES.has(type);
}

/** One response credited to a delivery. */
export interface Attribution {
  key: string;
  type: ResponseType;
  /** UTC day of the delivery and of the response. */
  deliveryDay: string;
  responseDay: string;
  cents: number;
}

interface Delivery {
  at: number;
  day: string;
  credited: Set<ResponseType>;
}

const order: Record<MessageType, number> = { delivered: 0, open: 1, click: 2, purchase: 3 };

/**
 * The attributions of the responses made on days `from` … `to` (inclusive),
 * from the messages of those days and the window before them.
 *
 * @example
 * ```ts
 * const today = attribute(state.days, '2026-11-30', '2026-11-30');
 * ```
 */
export function attribute(
  days: Readonly<Record<string, { messages?: readonly MessageEvent[] }>>,
  from: string,
  to: string,
): Attribution[] {
  const first = dayNumber(from) - ATTRIBUTION_WINDOW_DAYS;
  const last = dayNumber(to);
  const messages: Array<MessageEvent & { at: number; day: string }> = [];
  for (const [day, activity] of Object.entries(days)) {
    const n = dayNumber(day);
    if (n < first || n > last) continue;
    for (const m of activity.messages ?? []) messages.push({ ...m, at: Date.parse(m.ts), day });
  }
  // Deliveries before the responses at the same instant: an open stamped with its delivery's time counts.
  messages.sort((a, b) => a.at - b.at || order[a.type] - order[b.type]);
  const latest = new Map<string, Delivery & { key: string }>();
  // A response naming no campaign belongs to the latest delivery of its variant.
  const latestOfVariant = new Map<string, Delivery & { key: string }>();
  const variantOf = (key: string) => key.slice(key.indexOf('|') + 1);
  const out: Attribution[] = [];
  for (const m of messages) {
    if (m.type === 'delivered') {
      const delivery = { key: m.key, at: m.at, day: m.day, credited: new Set<ResponseType>() };
      latest.set(m.key, delivery);
      latestOfVariant.set(variantOf(m.key), delivery);
      continue;
    }
    const delivery = m.key.startsWith('|')
      ? latestOfVariant.get(variantOf(m.key))
      : latest.get(m.key);
    if (!delivery || m.at - delivery.at > WINDOW_MS || delivery.credited.has(m.type)) continue;
    delivery.credited.add(m.type);
    if (m.day < from) continue;
    out.push({
      key: delivery.key,
      type: m.type,
      deliveryDay: delivery.day,
      responseDay: m.day,
      cents: m.type === 'purchase' ? (m.cents ?? 0) : 0,
    });
  }
  return out;
}

/** Unique responses credited to deliveries, per variant or in total. */
export interface AttributedCounts {
  opens: number;
  clicks: number;
  conversions: number;
  revenueCents: number;
}

/** Counts with nothing credited. */
export function noAttributions(): AttributedCounts {
  return { opens: 0, clicks: 0, conversions: 0, revenueCents: 0 };
}

/** Adds one attribution to `into`. */
export function credit(into: AttributedCounts, a: Attribution): void {
  if (a.type === 'open') into.opens++;
  else if (a.type === 'click') into.clicks++;
  else {
    into.conversions++;
    into.revenueCents += a.cents;
  }
}

/** Attributions summed per `<campaignId>|<variantId>` (a null-prototype record). */
export function byVariant(
  attributions: Iterable<Attribution>,
  into: Record<string, AttributedCounts> = dict(),
): Record<string, AttributedCounts> {
  for (const a of attributions) {
    const counts = into[a.key] ?? noAttributions();
    credit(counts, a);
    into[a.key] = counts;
  }
  return into;
}

/**
 * The message funnel of the {@link ATTRIBUTION_WINDOW_DAYS} days ending
 * `day`: deliveries made on those days and the unique responses credited to
 * them by the end of `day` (what the report's open, click and conversion
 * rates are built from).
 */
export interface MessageFunnel extends AttributedCounts {
  /** The first day of the window. */
  since: string;
  delivered: number;
}

/** A message funnel of no deliveries, for the window ending `day`. */
export function emptyMessageFunnel(day: string): MessageFunnel {
  return { since: addDays(day, 1 - ATTRIBUTION_WINDOW_DAYS), delivered: 0, ...noAttributions() };
}

/** Adds one customer's deliveries and credited responses of the window to `into`. */
export function addToMessageFunnel(
  into: MessageFunnel,
  days: Readonly<Record<string, { messages?: readonly MessageEvent[] }>>,
  day: string,
): void {
  let delivered = 0;
  for (const [d, activity] of Object.entries(days)) {
    if (d < into.since || d > day) continue;
    for (const m of activity.messages ?? []) if (m.type === 'delivered') delivered++;
  }
  if (delivered === 0) return;
  into.delivered += delivered;
  for (const a of attribute(days, into.since, day)) {
    if (a.deliveryDay >= into.since) credit(into, a);
  }
}
