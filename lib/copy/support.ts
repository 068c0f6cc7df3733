/**
 * Customer-service replies (`kind: support_reply`). The prompt is a support
 * ticket thread that ends where the agent's reply begins: facts on file,
 * policy, the customer's message. A reply may state only facts from its
 * inputs: {@link factChecker} lists the numbers, prices, dates, order
 * numbers, URLs and e-mail addresses of a candidate that none of the inputs
 * holds, and a candidate with any is vetoed.
 */
import type { CatalogStore } from '../catalog/store.ts';
import type { AudienceProfiles } from './audience.ts';
import { supportPromptZh } from './promptZh.ts';
import type { SupportReplyRequest } from './request.ts';

/** Purchases of the profile that join a reply's facts. */
const PROFILE_PURCHASES = 3;

/** What a support reply's prompt was built from. */
export interface SupportBrief {
  prompt: string;
  /** The facts on file: the request's, then the profile's recent purchases. */
  facts: string[];
  /** Every text a stated fact may come from. */
  sources: string[];
  /** The profile's part of the prompt (for the state version). */
  profileState?: string;
  personalization?: { customerId: string; found: boolean; purchases?: string[] };
}

/** One line of the prompt: whitespace (newlines included) collapsed, so a client's text cannot start a new field. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The customer's recent purchases, as fact lines ("Purchased: Ridge Tent"):
 * the profile's most-engaged items with a purchase, by catalog title.
 */
async function purchaseFacts(
  stores: { profiles: AudienceProfiles; catalog: Pick<CatalogStore, 'getItems'> },
  customerId: string,
  warnings: string[],
): Promise<Pick<SupportBrief, 'personalization'> & { purchases: string[] }> {
  const summary = await stores.profiles.getSummary(customerId);
  if (!summary) {
    warnings.push(
      `No profile for customer ${customerId} yet (the nightly job writes one after their first events); the reply uses the request's facts only.`,
    );
    return { purchases: [], personalization: { customerId, found: false } };
  }
  const bought = summary.topItems.filter((i) => i.purchases > 0);
  const items = await stores.catalog.getItems(bought.map((i) => i.itemId));
  const purchases = bought
    .flatMap((i) => {
      const title = items.get(i.itemId)?.title;
      return title ? [title] : [];
    })
    .slice(0, PROFILE_PURCHASES);
  return { purchases, personalization: { customerId, found: true, purchases } };
}

/**
 * The brief of a support reply: the prompt, its facts (with the profile's
 * purchases when `customerId` is given) and the sources a reply's facts
 * must come from.
 *
 * @example
 * ```ts
 * const brief = await supportBrief(stores, request, warnings);
 * ```
 */
export async function supportBrief(
  stores: { profiles: AudienceProfiles; catalog: Pick<CatalogStore, 'getItems'> },
  request: SupportReplyRequest,
  warnings: string[],
): Promise<SupportBrief> {
  const profile = request.customerId
    ? await purchaseFacts(stores, request.customerId, warnings)
    : undefined;
  const zh = request.language === 'zh';
  const facts = [
    ...request.facts.map(oneLine),
    ...(profile?.purchases ?? []).map((title) => (zh ? `已购：${title}` : `Purchased: ${title}`)),
  ];
  const policy = request.policy.map(oneLine);
  const prompt = zh
    ? supportPromptZh(request, facts, policy)
    : [
        'CUSTOMER SUPPORT TICKET',
        ...(facts.length > 0 ? ['Facts on file:', ...facts.map((f) => `- ${f}`)] : []),
        ...(policy.length > 0 ? ['Policy:', ...policy.map((p) => `- ${p}`)] : []),
        ...(request.tone ? [`Tone: ${request.tone}`] : []),
        ...(request.mustInclude.length > 0 ? [`Mention: ${request.mustInclude.join(', ')}`] : []),
        '',
        `Customer: ${oneLine(request.message)}`,
        '',
        'Agent:',
      ].join('\n');
  return {
    prompt,
    facts,
    sources: [request.message, ...facts, ...policy, ...request.mustInclude],
    ...(profile ? { profileState: JSON.stringify(profile.purchases) } : {}),
    ...(profile?.personalization ? { personalization: profile.personalization } : {}),
  };
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
/** Days named relative to now ("today" is left out: "how can I help today" states nothing). */
const RELATIVE_DAYS = ['tomorrow', 'yesterday'];

/** Top-level domains a bare web address is recognised by ("example.com"). */
const TLDS = 'com|net|org|io|co|shop|store|info|biz|app|dev|us|uk|de|fr|cn|eu|ca|au';

/**
 * The patterns of a stated fact, most specific first: URLs, e-mail
 * addresses, bare web addresses, dates by name ("May" only next to a
 * number, as the verb is common), and any word holding a digit (numbers,
 * prices, percentages, numeric dates, times, order numbers).
 */
const FACT_PATTERN = new RegExp(
  [
    String.raw`(?:https?:\/\/|www\.)[^\s<>"'()\[\]]+`,
    // Each starts only where its run of characters starts, so a long run is scanned once, not once per position.
    String.raw`(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+`,
    String.raw`(?<![\w.-])(?:[a-z0-9-]{2,}\.)+(?:${TLDS})\b`,
    String.raw`\b(?:${[...MONTHS, ...DAYS, ...RELATIVE_DAYS].join('|')})\b`,
    String.raw`\bmay(?=\s+\d)|(?<=\d(?:st|nd|rd|th)?\s+)may\b`,
    String.raw`(?<![\p{L}\p{N}\-/])[#$€£¥]?(?:[\p{L}\p{N}]+[-/])*[\p{L}\p{N}]*\p{N}[\p{L}\p{N}.,:/\-]*%?`,
  ].join('|'),
  'giu',
);

/**
 * The comparable form of a stated fact: a number's value ("$89.00", "89"
 * and "89th" are all 89; "1,299" is 1299); otherwise the text in lower
 * case without a trailing slash or sentence punctuation.
 */
function factKey(raw: string): string {
  const text = raw.replace(/[.,:;!?/-]+$/, '').toLowerCase();
  const numeric = text
    .replace(/^[#$€£¥]/, '')
    .replace(/%$/, '')
    .replace(/(\d)(st|nd|rd|th)$/, '$1');
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$/.test(numeric)) {
    return `n:${Number(numeric.replace(/,/g, ''))}`;
  }
  return `t:${text.replace(/^https?:\/\//, '')}`;
}

/** Every stated fact of a text, as written. */
function statedFacts(text: string): string[] {
  return [...text.matchAll(FACT_PATTERN)]
    .map((m) => m[0].replace(/[.,:;!?]+$/, ''))
    .filter((f) => f.length > 0);
}

/**
 * A checker of replies against `sources`: it returns the facts a reply
 * states that none of the sources holds: numbers (by value), prices, dates
 * (numeric, by month or weekday name, tomorrow or yesterday), order numbers
 * and other words with digits, URLs, web and e-mail addresses. The sources'
 * facts are read once, however many replies are checked. Spelled-out
 * numbers ("thirty days") are not recognised.
 *
 * @example
 * ```ts
 * const invented = factChecker(['Order 1234, $25']);
 * invented('Your refund of $25 is on its way.'); // []
 * invented('It arrives Friday.'); // ['Friday']
 * ```
 */
export function factChecker(sources: readonly string[]): (text: string) => string[] {
  // An input's fact, and each number inside it ("ORD-1234" holds 1234).
  const known = new Set(
    sources
      .flatMap(statedFacts)
      .flatMap((f) => [factKey(f), ...(f.match(/\d+/g) ?? []).map((d) => `n:${Number(d)}`)]),
  );
  return (text) => [...new Set(statedFacts(text).filter((f) => !known.has(factKey(f))))];
}

/** {@link factChecker} for one reply. */
export function inventedFacts(text: string, sources: readonly string[]): string[] {
  return factChecker(sources)(text);
}
