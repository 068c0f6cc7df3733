import { DAY_MS } from '#lib/days.ts';
/**
 * Realistic demo data: a catalog, customers with tastes, activity levels and
 * lifecycles, email/SMS campaigns whose copy variants have different true
 * rates, and the engagement events all of that produces (campaign funnels
 * and organic browsing sessions with time-of-day patterns, long-tailed item
 * popularity, seasonal items, items shopped together and repeat
 * purchases). Deterministic: the same options give the same data on any
 * machine. The events are ordinary `EngagementEvent`s and are stored through
 * the same ingestion code as any client's.
 */

import type { CatalogItem } from '#lib/catalog/schema.ts';
import type { Channel, EngagementEvent, EventType } from '#lib/events/schema.ts';
import type { Language } from '#lib/model/language.ts';
import { SeededRandom } from '#lib/random.ts';
import { ZH_PACK } from './zh.ts';

/** What to generate. */
export interface SeedOptions {
  customers: number;
  days: number;
  /** Exact number of events to produce. */
  events: number;
  seed: number;
  /** Events fall in the `days` whole UTC days before the day of this instant (day index 0 = the first). */
  end: Date;
  /** The language of the catalog and campaign copy (default `en`). */
  language?: Language;
  /** Items per category (default: customers / 30, between 6 and 80). */
  itemsPerCategory?: number;
}

/** A demo customer and the hidden traits that drive their behaviour. */
export interface DemoCustomer {
  id: string;
  lifecycle: 'new' | 'loyal' | 'regular' | 'lapsing';
  /** First and last active day (indexes into the window). */
  activeFrom: number;
  activeTo: number;
  /** Relative activity (sessions per active day, up to a scale). */
  activity: number;
  /** Probability weights over categories (sum 1). */
  tastes: Record<string, number>;
  channel: Channel;
  /** Hour of day (UTC) around which the customer is active. */
  peakHour: number;
  /** How likely they are to open marketing messages (0–1). */
  openPropensity: number;
}

/** A campaign and the true (hidden) performance of its copy variants. */
export interface DemoCampaign {
  id: string;
  name: string;
  category: string;
  channel: 'email' | 'sms';
  /** Day index of the (first) send. */
  day: number;
  /** Days it is sent on, from `day` (a triggered campaign sends daily; a newsletter once). */
  sendDays: number;
  /** Share of the campaign event budget it gets. */
  budgetShare: number;
  variants: Array<{ variantId: string; copy: string; openRate: number; clickRate: number }>;
}

/** The generated world behind the events. */
export interface DemoWorld {
  language: Language;
  catalog: CatalogItem[];
  customers: DemoCustomer[];
  campaigns: DemoCampaign[];
  /**
   * Per item, the items shoppers go on to with it (2 of its own category, 1
   * of another): browsing follows them, so baskets co-occur the way a real
   * shop's do, beyond category and popularity.
   */
  complements: ReadonlyMap<string, readonly string[]>;
  /**
   * Seasonal items and their season: organic interest peaks on `peakDay`
   * (a day index) and is low far from it.
   */
  seasons: ReadonlyMap<string, { peakDay: number; widthDays: number }>;
}

/**
 * The words of a demo world in one language: categories (with their nouns,
 * price level and whether they are bought again), title adjectives,
 * features, campaign copy templates (`{c}`: the category) and the phrases
 * items and campaigns are described with. The draws from the seeded random
 * stream are the same in every language, so the worlds match in shape.
 */
export interface DemoPack {
  /** Put in customer and campaign ids (`cust-zh-00001`), so two languages' worlds can share one stack. */
  idPrefix: string;
  categories: Record<string, { slug: string; nouns: string[]; basePrice: number; repeat: boolean }>;
  adjectives: readonly string[];
  features: readonly string[];
  campaignCopy: readonly string[];
  title(adjective: string, noun: string): string;
  description(title: string, features: string[], category: string): string;
  /** A category as a tag and inside copy ("outdoor"; Chinese as it is). */
  word(category: string): string;
  campaignName(category: string, promo: boolean, n: number): string;
  triggered: {
    emailName(category: string): string;
    smsName(category: string): string;
    /** Templates of camp-001-a/b and camp-101-a/b (`{c}`: the category's word). */
    email: readonly [string, string];
    sms: readonly [string, string];
  };
}

const EN_CATEGORIES: DemoPack['categories'] = {
  Outdoor: {
    slug: 'out',
    nouns: ['Tent', 'Backpack', 'Headlamp', 'Sleeping Bag', 'Trekking Poles', 'Water Filter'],
    basePrice: 90,
    repeat: false,
  },
  Running: {
    slug: 'run',
    nouns: ['Trail Runner', 'Road Shoe', 'Running Vest', 'Running Socks', 'GPS Watch', 'Shorts'],
    basePrice: 70,
    repeat: false,
  },
  Apparel: {
    slug: 'app',
    nouns: ['Rain Jacket', 'Fleece', 'Hoodie', 'Merino Tee', 'Down Vest', 'Beanie'],
    basePrice: 60,
    repeat: false,
  },
  Home: {
    slug: 'hom',
    nouns: ['Throw Blanket', 'Table Lamp', 'Linen Sheets', 'Candle', 'Plant Pot', 'Rug'],
    basePrice: 45,
    repeat: false,
  },
  Kitchen: {
    slug: 'kit',
    nouns: ['Chef Knife', 'Kettle', 'Cast Iron Pan', 'Coffee Beans', 'Coffee Grinder', 'Tea Tin'],
    basePrice: 35,
    repeat: true,
  },
  Beauty: {
    slug: 'bea',
    nouns: ['Face Serum', 'Lip Balm', 'Sunscreen', 'Shampoo Bar', 'Hand Cream', 'Body Oil'],
    basePrice: 22,
    repeat: true,
  },
};
const EN_ADJECTIVES = [
  'Alpine',
  'Summit',
  'Coastal',
  'Nordic',
  'Ember',
  'Urban',
  'Classic',
  'Ultra',
  'Cedar',
  'Lumen',
  'Drift',
  'Terra',
  'Aero',
  'Harbor',
  'Juniper',
  'Meadow',
];
const EN_FEATURES = [
  'lightweight',
  'recycled materials',
  'water-resistant',
  'lifetime warranty',
  'handmade',
  'vegan',
  'packable',
  'breathable',
  'organic',
  'made to last',
];
const EN_CAMPAIGN_COPY = [
  'New season, new {c}: see what just landed',
  'Your {c} picks are back in stock',
  'Last chance: {c} favourites at their best price',
  'The {c} edit our team loves this month',
  'Free shipping on {c} this week only',
];

/** The English demo world (the default). */
export const EN_PACK: DemoPack = {
  idPrefix: '',
  categories: EN_CATEGORIES,
  adjectives: EN_ADJECTIVES,
  features: EN_FEATURES,
  campaignCopy: EN_CAMPAIGN_COPY,
  title: (adjective, noun) => `${adjective} ${noun}`,
  description: (title, features, category) =>
    `${title}: ${features.join(', ')}. One of our best-loved ${category.toLowerCase()} picks.`,
  word: (category) => category.toLowerCase(),
  campaignName: (category, promo, n) => `${category} ${promo ? 'promo' : 'newsletter'} #${n}`,
  triggered: {
    emailName: (category) => `${category} browse reminder (triggered)`,
    smsName: (category) => `${category} SMS reminder (triggered)`,
    email: [
      'Still thinking about it? Your {c} pick is waiting',
      'Back in stock and 15 % off today: the {c} piece you viewed',
    ],
    sms: [
      'Your {c} pick is still in your cart. Reply STOP to opt out',
      '15 % off the {c} piece you viewed, today only. Reply STOP to opt out',
    ],
  },
};

/** The demo pack of a language. */
export function demoPack(language: Language = 'en'): DemoPack {
  return language === 'zh' ? ZH_PACK : EN_PACK;
}

/** Share of the event budget spent on campaign funnels (the rest is organic browsing). */
const CAMPAIGN_SHARE = 0.475;
/** Chance that a browsing customer's next item is a complement of the one they just looked at. */
const COMPLEMENT_SHARE = 0.45;

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)] as T;
}

/** Index drawn from cumulative weights (binary search). */
function drawIndex(rng: SeededRandom, cumulative: number[]): number {
  const target = rng.next() * (cumulative.at(-1) as number);
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cumulate(weights: number[]): number[] {
  let sum = 0;
  return weights.map((w) => {
    sum += w;
    return sum;
  });
}

function buildCatalog(
  rng: SeededRandom,
  customers: number,
  pack: DemoPack,
  perCategory = Math.max(6, Math.min(80, Math.round(customers / 30))),
): CatalogItem[] {
  const items: CatalogItem[] = [];
  for (const [category, spec] of Object.entries(pack.categories)) {
    const used = new Set<string>();
    for (let i = 0; i < perCategory; i++) {
      let title = pack.title(pick(rng, pack.adjectives), pick(rng, spec.nouns));
      if (used.has(title)) title = `${title} ${2 + i}`;
      used.add(title);
      const features = [pick(rng, pack.features), pick(rng, pack.features)].filter(
        (f, j, all) => all.indexOf(f) === j,
      );
      const price = Math.round(spec.basePrice * Math.exp(rng.normal() * 0.45) * 100) / 100;
      items.push({
        id: `item-${spec.slug}-${String(i + 1).padStart(3, '0')}`,
        title,
        description: pack.description(title, features, category),
        category,
        price: Math.max(3, price),
        tags: [pack.word(category), ...features],
        available: rng.next() > 0.05,
      });
    }
  }
  return items;
}

function buildCustomers(
  rng: SeededRandom,
  count: number,
  days: number,
  pack: DemoPack,
): DemoCustomer[] {
  const categories = Object.keys(pack.categories);
  return Array.from({ length: count }, (_, i) => {
    const roll = rng.next();
    const lifecycle: DemoCustomer['lifecycle'] =
      roll < 0.2 ? 'new' : roll < 0.4 ? 'loyal' : roll < 0.8 ? 'regular' : 'lapsing';
    const activeFrom = lifecycle === 'new' ? Math.floor(rng.next() * days) : 0;
    // Lapsing customers stop at least 15 days before the end, so they show as slipping away.
    const activeTo =
      lifecycle === 'lapsing' ? Math.floor(rng.next() * Math.max(1, days - 15)) : days - 1;
    const base = { new: 1, loyal: 3, regular: 1, lapsing: 0.8 }[lifecycle];
    const favourite = pick(rng, categories);
    const second = pick(rng, categories);
    const raw = categories.map((c) => (c === favourite ? 6 : c === second ? 3 : 0.6));
    const total = raw.reduce((s, w) => s + w, 0);
    const channelRoll = rng.next();
    return {
      id: `cust-${pack.idPrefix}${String(i + 1).padStart(5, '0')}`,
      lifecycle,
      activeFrom,
      activeTo: Math.max(activeFrom, activeTo),
      activity: base * Math.exp(rng.normal() * 0.5),
      tastes: Object.fromEntries(categories.map((c, j) => [c, (raw[j] as number) / total])),
      channel: channelRoll < 0.6 ? 'email' : channelRoll < 0.75 ? 'sms' : 'app',
      peakHour: pick(rng, [8, 12.5, 20]) + rng.normal() * 1.5,
      openPropensity: Math.min(0.95, Math.max(0.02, 0.3 + rng.normal() * 0.15)),
    };
  });
}

function buildCampaigns(rng: SeededRandom, days: number, pack: DemoPack): DemoCampaign[] {
  const count = Math.max(2, Math.round(days / 5));
  const categories = Object.keys(pack.categories);
  const newsletters = Array.from({ length: count }, (_, i): DemoCampaign => {
    const category = pick(rng, categories);
    const variants = 2 + (rng.next() < 0.5 ? 1 : 0);
    const id = `camp-${pack.idPrefix}${String(i + 2).padStart(3, '0')}`;
    // Each variant has its own copy: templates drawn without replacement.
    const templates = [...pack.campaignCopy].sort(() => rng.next() - 0.5).slice(0, variants);
    return {
      id,
      name: pack.campaignName(category, i % 2 === 1, i + 2),
      category,
      channel: i % 4 === 3 ? 'sms' : 'email',
      day: Math.min(days - 1, Math.floor(((i + 0.5) * days) / count)),
      sendDays: 1,
      budgetShare: 0.35 / count,
      variants: templates.map((template, v) => ({
        variantId: `${id}-${String.fromCharCode(97 + v)}`,
        copy: template.replace('{c}', pack.word(category)),
        openRate: 0.15 + rng.next() * 0.2,
        clickRate: 0.04 + rng.next() * 0.12,
      })),
    };
  });
  // Triggered campaigns sent every day, an email and an SMS, each with two very different
  // variants: enough deliveries on the first-start data (~250 and ~150 per variant) and a real
  // gap, so the learning loop has exemplars of both kinds on day one.
  const category = pick(rng, categories);
  const triggered: DemoCampaign = {
    id: `camp-${pack.idPrefix}001`,
    name: pack.triggered.emailName(category),
    category,
    channel: 'email',
    day: 0,
    sendDays: days,
    budgetShare: 0.4,
    variants: [
      {
        variantId: `camp-${pack.idPrefix}001-a`,
        copy: pack.triggered.email[0].replace('{c}', pack.word(category)),
        openRate: 0.3,
        clickRate: 0.08,
      },
      {
        variantId: `camp-${pack.idPrefix}001-b`,
        copy: pack.triggered.email[1].replace('{c}', pack.word(category)),
        openRate: 0.3,
        clickRate: 0.4,
      },
    ],
  };
  const sms: DemoCampaign = {
    id: `camp-${pack.idPrefix}101`,
    name: pack.triggered.smsName(category),
    category,
    channel: 'sms',
    day: 0,
    sendDays: days,
    budgetShare: 0.25,
    variants: [
      {
        variantId: `camp-${pack.idPrefix}101-a`,
        copy: pack.triggered.sms[0].replace('{c}', pack.word(category)),
        openRate: 0.5,
        clickRate: 0.06,
      },
      {
        variantId: `camp-${pack.idPrefix}101-b`,
        copy: pack.triggered.sms[1].replace('{c}', pack.word(category)),
        openRate: 0.5,
        clickRate: 0.35,
      },
    ],
  };
  return [triggered, sms, ...newsletters];
}

/**
 * Builds the world (catalog, customers, campaigns) for `options`.
 *
 * @example
 * ```ts
 * const world = buildWorld({ customers: 2000, days: 30, events: 200_000, seed: 1, end: new Date() });
 * ```
 */
export function buildWorld(options: SeedOptions): DemoWorld {
  const rng = new SeededRandom(options.seed);
  const language = options.language ?? 'en';
  const pack = demoPack(language);
  const catalog = buildCatalog(rng, options.customers, pack, options.itemsPerCategory);
  const customers = buildCustomers(rng, options.customers, options.days, pack);
  const campaigns = buildCampaigns(rng, options.days, pack);
  // Drawn after everything else, so adding them left the rest of the world unchanged.
  return {
    language,
    catalog,
    customers,
    campaigns,
    complements: buildComplements(rng, catalog),
    seasons: buildSeasons(rng, catalog, options.days),
  };
}

/** Complements per item: 2 other items of its category and 1 of another (see {@link DemoWorld}). */
function buildComplements(rng: SeededRandom, catalog: CatalogItem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of catalog) {
    const same = catalog.filter((i) => i.category === item.category && i.id !== item.id);
    const other = catalog.filter((i) => i.category !== item.category);
    const chosen = new Set<string>();
    for (let tries = 0; chosen.size < 2 && tries < 20 && same.length > 0; tries++) {
      chosen.add(pick(rng, same).id);
    }
    if (other.length > 0) chosen.add(pick(rng, other).id);
    out.set(item.id, [...chosen]);
  }
  return out;
}

/** Share of items that are seasonal. */
const SEASONAL_SHARE = 0.15;

/** A season for about {@link SEASONAL_SHARE} of the items, peaking somewhere in the window. */
function buildSeasons(rng: SeededRandom, catalog: CatalogItem[], days: number) {
  const out = new Map<string, { peakDay: number; widthDays: number }>();
  for (const item of catalog) {
    const seasonal = rng.next() < SEASONAL_SHARE;
    const peakDay = Math.floor(rng.next() * days);
    const widthDays = 2 + rng.next() * 4;
    if (seasonal) out.set(item.id, { peakDay, widthDays });
  }
  return out;
}

/** How much more (or less) organic interest a seasonal item gets on `day` than a plain one. */
export function seasonalFactor(
  season: { peakDay: number; widthDays: number } | undefined,
  day: number,
): number {
  if (!season) return 1;
  return 0.1 + 6 * Math.exp(-(((day - season.peakDay) / season.widthDays) ** 2));
}

/**
 * The engagement events of `world`, exactly `options.events` of them:
 * campaign funnels (delivered → open → click → view → add_to_cart →
 * purchase, plus bounces and unsubscribes) and organic sessions of views in
 * the customer's favourite categories (Zipf-popular items, seasonal ones in
 * their season, often going on to an item's complements), with carts,
 * purchases and repeat purchases of consumables.
 *
 * @example
 * ```ts
 * for (const event of demoEvents(world, options)) batch.push(event);
 * ```
 */
export function* demoEvents(world: DemoWorld, options: SeedOptions): Generator<EngagementEvent> {
  let emitted = 0;
  for (const event of behaviour(world, options)) {
    if (emitted++ >= options.events) return;
    yield event;
  }
}

/** The endless event stream of `world`: campaigns first, then organic sessions. */
function* behaviour(world: DemoWorld, options: SeedOptions): Generator<EngagementEvent> {
  const rng = new SeededRandom(options.seed ^ 0x5eed);
  // Day 0 starts at a UTC midnight, so hours of day are real UTC hours whatever time it is now.
  const start = Math.floor(options.end.getTime() / DAY_MS) * DAY_MS - options.days * DAY_MS;
  const latest = start + options.days * DAY_MS - 1000;
  /** Events created so far (ids are sequential). */
  let count = 0;
  const at = (day: number, hour: number, offsetMs = 0) =>
    new Date(
      Math.min(latest, start + day * DAY_MS + ((((hour % 24) + 24) % 24) * 3_600_000 + offsetMs)),
    ).toISOString();
  const byCategory = new Map<string, { items: CatalogItem[]; cumulative: number[] }>();
  const pack = demoPack(world.language);
  for (const category of Object.keys(pack.categories)) {
    const items = world.catalog.filter((i) => i.category === category);
    // Popularity follows a Zipf law within a category.
    byCategory.set(category, {
      items,
      cumulative: cumulate(items.map((_, r) => 1 / (r + 1) ** 1.1)),
    });
  }
  const drawItem = (category: string) => {
    const c = byCategory.get(category) as { items: CatalogItem[]; cumulative: number[] };
    return c.items[drawIndex(rng, c.cumulative)] as CatalogItem;
  };
  // Organic browsing: the same Zipf law, times each seasonal item's interest on the day.
  const organicByDay = new Map<string, number[]>();
  const drawOrganic = (category: string, day: number) => {
    const c = byCategory.get(category) as { items: CatalogItem[]; cumulative: number[] };
    const key = `${category}|${day}`;
    let cumulative = organicByDay.get(key);
    if (!cumulative) {
      cumulative = cumulate(
        c.items.map((item, r) => seasonalFactor(world.seasons.get(item.id), day) / (r + 1) ** 1.1),
      );
      organicByDay.set(key, cumulative);
    }
    return c.items[drawIndex(rng, cumulative)] as CatalogItem;
  };
  const itemById = new Map(world.catalog.map((i) => [i.id, i]));
  /** The next item a browsing customer looks at after `previous`: often one of its complements. */
  const nextOrganic = (category: string, day: number, previous: CatalogItem | undefined) => {
    const complements = previous ? world.complements.get(previous.id) : undefined;
    if (complements && complements.length > 0 && rng.next() < COMPLEMENT_SHARE) {
      return itemById.get(pick(rng, complements)) as CatalogItem;
    }
    return drawOrganic(category, day);
  };
  const drawCategory = (customer: DemoCustomer) => {
    const names = Object.keys(customer.tastes);
    return names[
      drawIndex(rng, cumulate(names.map((n) => customer.tastes[n] as number)))
    ] as string;
  };
  const event = (
    customer: DemoCustomer,
    type: EventType,
    ts: string,
    extra: Partial<EngagementEvent> = {},
  ): EngagementEvent => ({
    eventId: `ev-${options.seed}-${(count++).toString(36)}`,
    customerId: customer.id,
    type,
    ts,
    ...extra,
  });
  const purchases = new Map<string, CatalogItem[]>();
  const shop = function* (
    customer: DemoCustomer,
    item: CatalogItem,
    day: number,
    hour: number,
    offsetMs: number,
    extra: Partial<EngagementEvent>,
  ): Generator<EngagementEvent> {
    yield event(customer, 'view', at(day, hour, offsetMs), { ...extra, itemId: item.id });
    if (!item.available || rng.next() > 0.22) return;
    yield event(customer, 'add_to_cart', at(day, hour, offsetMs + 60_000), {
      ...extra,
      itemId: item.id,
    });
    if (rng.next() > 0.45) return;
    yield event(customer, 'purchase', at(day, hour, offsetMs + 240_000), {
      ...extra,
      itemId: item.id,
      value: item.price,
      currency: 'EUR',
    });
    const bought = purchases.get(customer.id) ?? [];
    bought.push(item);
    purchases.set(customer.id, bought);
  };

  // Campaigns: a share of the budget, split by each campaign's share and spread over its sends.
  const campaignBudget = Math.floor(options.events * CAMPAIGN_SHARE);
  const hourMs = (hour: number) => ((((hour % 24) + 24) % 24) * 3_600_000) | 0;
  for (const campaign of world.campaigns) {
    const perSend = (campaignBudget * campaign.budgetShare) / campaign.sendDays;
    const last = Math.min(options.days - 1, campaign.day + campaign.sendDays - 1);
    for (let day = campaign.day; day <= last; day++) {
      const audience = world.customers.filter((c) => c.activeFrom <= day && c.activeTo >= day);
      // ~1.35 events per delivery on average: thin the audience to fit the budget.
      const reach = Math.min(1, perSend / 1.35 / Math.max(1, audience.length));
      for (const customer of audience) {
        if (rng.next() > reach) continue;
        if (count >= campaignBudget) break;
        const variant = pick(rng, campaign.variants);
        const meta = {
          channel: campaign.channel,
          campaignId: campaign.id,
          variantId: variant.variantId,
        };
        const sentAt = start + day * DAY_MS + 9 * 3_600_000 + Math.floor(rng.next() * 1_800_000);
        if (rng.next() < 0.01) {
          yield event(customer, 'bounce', new Date(sentAt).toISOString(), meta);
          continue;
        }
        yield event(customer, 'delivered', new Date(sentAt).toISOString(), meta);
        const opens = variant.openRate * (customer.openPropensity / 0.3);
        if (rng.next() > opens) continue;
        // Opened around the customer's own peak hour, always after the delivery and within their active days.
        let openedAt = start + day * DAY_MS + hourMs(customer.peakHour + Math.abs(rng.normal()));
        while (openedAt < sentAt + 60_000) openedAt += DAY_MS;
        const openDay = Math.floor((openedAt - start) / DAY_MS);
        if (openedAt + 300_000 > latest || openDay > customer.activeTo) continue;
        const openHour = (openedAt - start - openDay * DAY_MS) / 3_600_000;
        yield event(customer, 'open', at(openDay, openHour), meta);
        if (rng.next() < 0.004) {
          yield event(customer, 'unsubscribe', at(openDay, openHour, 30_000), meta);
          continue;
        }
        const clicks = variant.clickRate * (0.5 + 2 * (customer.tastes[campaign.category] ?? 0));
        if (rng.next() > clicks) continue;
        yield event(customer, 'click', at(openDay, openHour, 20_000), meta);
        yield* shop(customer, drawItem(campaign.category), openDay, openHour, 40_000, meta);
      }
    }
  }

  // Organic browsing, for as long as the caller reads.
  const cumulative = cumulate(world.customers.map((c) => c.activity));
  for (;;) {
    const customer = world.customers[drawIndex(rng, cumulative)] as DemoCustomer;
    const day =
      customer.activeFrom + Math.floor(rng.next() * (customer.activeTo - customer.activeFrom + 1));
    const hour = customer.peakHour + rng.normal() * 2;
    const channel: Channel = customer.channel === 'app' || rng.next() < 0.3 ? 'app' : 'web';
    const bought = purchases.get(customer.id);
    const repeat = bought?.find((i) => pack.categories[i.category]?.repeat);
    if (repeat && rng.next() < 0.3) {
      // Consumables are bought again.
      yield event(customer, 'view', at(day, hour), { channel, itemId: repeat.id });
      yield event(customer, 'add_to_cart', at(day, hour, 30_000), { channel, itemId: repeat.id });
      yield event(customer, 'purchase', at(day, hour, 90_000), {
        channel,
        itemId: repeat.id,
        value: repeat.price,
        currency: 'EUR',
      });
      continue;
    }
    const category = drawCategory(customer);
    const views = 1 + Math.floor(-Math.log(1 - rng.next()) * 2.2);
    let previous: CatalogItem | undefined;
    for (let v = 0; v < views; v++) {
      previous = nextOrganic(category, day, previous);
      yield* shop(customer, previous, day, hour, v * 75_000, { channel });
    }
  }
}
