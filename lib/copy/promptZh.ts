/**
 * Chinese prompts (`language: "zh"`): like the English ones, each is the
 * opening of a real Chinese document of its kind (an ad sheet, an email
 * campaign plan, an SMS plan, a WeChat/Weibo post draft, a product detail
 * page, a support ticket) ending where the copy begins. Fields are headed
 * 【…】 rather than put on lines of their own: a BERT WordPiece tokenizer
 * (the Chinese GPT-2s') drops newlines, and 【 is where `postProcess` ends
 * a copy that runs on into the next field.
 */
import type { AudienceFacts } from './audience.ts';
import type { CopyKind } from './kinds.ts';
import { EXEMPLARS_PER_PROMPT } from './kinds.ts';
import type { PromptContext } from './prompt.ts';
import type { MarketingCopyRequest, SupportReplyRequest } from './request.ts';

/** How a Chinese prompt heads each field, and what follows it. */
const field = (label: string, value: string) => `【${label}】${value.replace(/\s+/g, ' ').trim()}`;

/** The label past winners of a kind are quoted under, and the label the copy follows. */
export const ZH_LABELS: Record<CopyKind, { past: string; copy: string; title: string }> = {
  ad: { title: '广告文案', past: '效果最好的标题', copy: '广告标题' },
  email_subject: { title: '邮件营销方案', past: '打开率最高的主题', copy: '邮件主题' },
  email: { title: '邮件营销方案', past: '效果最好的邮件', copy: '正文' },
  sms: { title: '短信营销方案', past: '效果最好的短信', copy: '短信' },
  social: { title: '微博、微信推文草稿', past: '最受欢迎的推文', copy: '推文' },
  product_description: { title: '商品详情页', past: '卖得最好的描述', copy: '商品描述' },
  support_reply: { title: '客服工单', past: '', copy: '客服回复' },
};

/** The product facts, audience, tone and keywords of a Chinese brief. */
function briefFields(request: MarketingCopyRequest, context: PromptContext): string[] {
  const { product } = request;
  const terms = [...new Set([...request.keywords, ...request.mustInclude])];
  return [
    field('商品', `${product.name}${product.price !== undefined ? `（${product.price}元）` : ''}`),
    ...(product.description ? [field('简介', product.description)] : []),
    ...(product.features.length > 0 ? [field('卖点', product.features.join('、'))] : []),
    ...(product.url ? [field('链接', product.url)] : []),
    ...(context.audience ? [field('目标顾客', context.audience)] : []),
    ...(request.tone ? [field('语气', request.tone)] : []),
    ...(terms.length > 0 ? [field('关键词', terms.join('、'))] : []),
  ];
}

/**
 * The Chinese prompt for copy about a product. Deterministic, like `buildPrompt`.
 *
 * @example
 * ```ts
 * buildPromptZh(request, { exemplars: [] }); // '短信营销方案\n【商品】保温杯（99元）\n【短信】'
 * ```
 */
export function buildPromptZh(request: MarketingCopyRequest, context: PromptContext): string {
  const labels = ZH_LABELS[request.kind];
  const past = context.exemplars
    .slice(0, EXEMPLARS_PER_PROMPT)
    .map((text) => field(labels.past, text));
  const opening = request.kind === 'email' ? [field('邮件主题', request.product.name)] : [];
  const greeting = request.kind === 'email' ? '您好！' : '';
  return [
    labels.title,
    ...briefFields(request, context),
    ...past,
    ...opening,
    `【${labels.copy}】${greeting}`,
  ].join('\n');
}

/**
 * The Chinese support ticket: facts on file, policy, the customer's message,
 * then the agent's reply.
 */
export function supportPromptZh(
  request: SupportReplyRequest,
  facts: readonly string[],
  policy: readonly string[],
): string {
  return [
    ZH_LABELS.support_reply.title,
    ...facts.map((f) => field('已知信息', f)),
    ...policy.map((p) => field('政策', p)),
    ...(request.tone ? [field('语气', request.tone)] : []),
    ...(request.mustInclude.length > 0 ? [field('需提及', request.mustInclude.join('、'))] : []),
    field('顾客留言', request.message),
    `【${ZH_LABELS.support_reply.copy}】`,
  ].join('\n');
}

/** Chinese words of an audience line, by engagement level and channel. */
const ENGAGEMENT_ZH: Record<AudienceFacts['engagement'], string> = {
  'highly engaged': '非常活跃',
  'occasionally engaged': '偶尔互动',
  'rarely engaged': '很少互动',
};
const CHANNEL_ZH: Record<string, string> = { email: '邮件', sms: '短信', app: 'App', push: '推送' };

/**
 * The profile's facts as a Chinese audience line, e.g.
 * "非常活跃的顾客，喜欢户外、厨房，最近看过保温杯，偏好短信";
 * `base` (the request's `audience`) replaces the opening words.
 */
export function audienceLineZh(facts: AudienceFacts, base?: string): string {
  const channel = facts.preferredChannel;
  return [
    base ?? `${ENGAGEMENT_ZH[facts.engagement]}的顾客`,
    ...(facts.topCategories.length > 0 ? [`喜欢${facts.topCategories.join('、')}`] : []),
    ...(facts.recentItems.length > 0 ? [`最近看过${facts.recentItems.join('、')}`] : []),
    ...(channel ? [`偏好${CHANNEL_ZH[channel] ?? channel}`] : []),
  ].join('，');
}

/** Every fixed Chinese string of the prompts (the builder puts their characters in its demo vocabulary). */
export const ZH_PROMPT_TEXT = [
  ...Object.values(ZH_LABELS).flatMap((l) => [l.title, l.past, l.copy]),
  '商品简介卖点链接目标顾客语气关键词元您好！已知信息政策需提及顾客留言',
  ...Object.values(ENGAGEMENT_ZH),
  ...Object.values(CHANNEL_ZH),
  '的顾客，喜欢最近看过偏好',
].join('');
