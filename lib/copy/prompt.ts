/**
 * Prompts for a small causal LM. GPT-2 continues text and follows no
 * instructions, so each kind's prompt is the opening of a real document of
 * that kind (a campaign brief with past subject lines, a product page, an
 * ad sheet…) with the product facts and audience in it, ending exactly
 * where the copy begins.
 */
import type { CopyKind } from './kinds.ts';
import { EXEMPLARS_PER_PROMPT, KINDS } from './kinds.ts';
import type { MarketingCopyRequest } from './request.ts';

/** What a prompt is built from besides the request. */
export interface PromptContext {
  /** The audience line: the request's `audience`, or one written from the customer's profile. */
  audience?: string;
  /** Past top performers of the same kind (at most 2 are quoted). */
  exemplars: readonly string[];
}

const money = (price: number) => `$${price.toFixed(2).replace(/\.00$/, '')}`;

/** The product facts block shared by every kind. */
function productFacts(request: MarketingCopyRequest): string[] {
  const { product } = request;
  return [
    `Product: ${product.name}${product.price !== undefined ? ` (${money(product.price)})` : ''}`,
    ...(product.description ? [`About: ${product.description}`] : []),
    ...(product.features.length > 0 ? [`Features: ${product.features.join(', ')}`] : []),
    ...(product.url ? [`Link: ${product.url}`] : []),
  ];
}

function briefLines(request: MarketingCopyRequest, context: PromptContext): string[] {
  const terms = [...request.keywords, ...request.mustInclude];
  return [
    ...productFacts(request),
    ...(context.audience ? [`Audience: ${context.audience}`] : []),
    ...(request.tone ? [`Tone: ${request.tone}`] : []),
    ...(terms.length > 0 ? [`Keywords: ${[...new Set(terms)].join(', ')}`] : []),
  ];
}

/** Quoted past winners, one per line under the kind's label. */
function exemplarLines(kind: CopyKind, context: PromptContext): string[] {
  const label = KINDS[kind].label;
  return context.exemplars
    .slice(0, EXEMPLARS_PER_PROMPT)
    .map((text) => `${label}: ${text.replace(/\s+/g, ' ').trim()}`);
}

/**
 * The English prompt for copy about a product (Chinese: `promptZh.ts`; a support reply's is in `support.ts`). Deterministic: the same request and
 * context give the same prompt (and so, with the same seed, the same copy).
 *
 * @example
 * ```ts
 * const prompt = buildPrompt(request, { audience: 'runners', exemplars: [] });
 * ```
 */
export function buildPrompt(request: MarketingCopyRequest, context: PromptContext): string {
  const { kind, product } = request;
  const brief = briefLines(request, context);
  const past = exemplarLines(kind, context);
  switch (kind) {
    case 'email_subject':
      return [
        'EMAIL CAMPAIGN BRIEF',
        ...brief,
        '',
        past.length > 0 ? 'Best-performing subject lines so far:' : 'Subject lines:',
        ...past,
        'Subject:',
      ].join('\n');
    case 'ad':
      return [
        'AD COPY SHEET',
        ...brief,
        '',
        past.length > 0 ? 'Headlines that performed best:' : 'Headlines:',
        ...past,
        'Headline:',
      ].join('\n');
    case 'sms':
      return [
        'SMS CAMPAIGN',
        ...brief,
        '',
        ...(past.length > 0 ? ['Messages that performed best:', ...past] : []),
        'SMS:',
      ].join('\n');
    case 'social':
      return [
        `${product.name} — social media post`,
        ...brief,
        '',
        ...(past.length > 0 ? ['Our most-liked posts:', ...past, ''] : []),
        'Post:',
      ].join('\n');
    case 'product_description':
      return [
        'PRODUCT PAGE',
        ...brief,
        '',
        ...(past.length > 0 ? ['Descriptions that sold best:', ...past, ''] : []),
        'Description:',
      ].join('\n');
    case 'email':
      return [
        'EMAIL CAMPAIGN BRIEF',
        ...brief,
        '',
        ...(past.length > 0 ? ['Emails that performed best:', ...past, ''] : []),
        `Subject: ${product.name}`,
        '',
        context.audience ? 'Hi,' : 'Hi there,',
        '',
      ].join('\n');
  }
}
