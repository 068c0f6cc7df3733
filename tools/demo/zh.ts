/**
 * The Chinese demo world (`npm run seed -- --language zh`, `npm start --
 * --language zh`): the same shop as the English one, in Chinese. Prices
 * are in yuan; the SMS copy ends with the opt-out Chinese carriers expect
 * (回复TD退订).
 */
import type { DemoPack } from './seed.ts';

/** The Chinese demo pack. */
export const ZH_PACK: DemoPack = {
  idPrefix: 'zh-',
  categories: {
    户外: {
      slug: 'zh-out',
      nouns: ['帐篷', '双肩包', '头灯', '睡袋', '登山杖', '净水器'],
      basePrice: 599,
      repeat: false,
    },
    跑步: {
      slug: 'zh-run',
      nouns: ['越野跑鞋', '公路跑鞋', '跑步背心', '运动袜', '运动手表', '运动短裤'],
      basePrice: 499,
      repeat: false,
    },
    服饰: {
      slug: 'zh-app',
      nouns: ['冲锋衣', '抓绒衣', '连帽衫', '羊毛T恤', '羽绒背心', '针织帽'],
      basePrice: 399,
      repeat: false,
    },
    家居: {
      slug: 'zh-hom',
      nouns: ['午睡毯', '台灯', '亚麻床单', '香薰蜡烛', '花盆', '地毯'],
      basePrice: 299,
      repeat: false,
    },
    厨房: {
      slug: 'zh-kit',
      nouns: ['保温杯', '电水壶', '铸铁锅', '咖啡豆', '磨豆机', '茶叶罐'],
      basePrice: 199,
      repeat: true,
    },
    美妆: {
      slug: 'zh-bea',
      nouns: ['精华液', '润唇膏', '防晒霜', '洗发皂', '护手霜', '身体油'],
      basePrice: 129,
      repeat: true,
    },
  },
  adjectives: [
    '山野',
    '极光',
    '海岸',
    '北欧',
    '暖阳',
    '都市',
    '经典',
    '轻量',
    '雪松',
    '晨光',
    '漫游',
    '大地',
    '云端',
    '港湾',
    '松林',
    '草原',
  ],
  features: [
    '轻便',
    '环保材料',
    '防泼水',
    '终身保修',
    '手工制作',
    '纯素',
    '可收纳',
    '透气',
    '有机',
    '经久耐用',
  ],
  campaignCopy: [
    '新季上新：{c}新品到货',
    '你关注的{c}好物已补货',
    '最后机会：{c}人气好物限时低价',
    '本月团队精选{c}清单',
    '本周{c}全场包邮',
  ],
  title: (adjective, noun) => `${adjective}${noun}`,
  description: (title, features, category) =>
    `${title}：${features.join('、')}。我们最受欢迎的${category}好物之一。`,
  word: (category) => category,
  campaignName: (category, promo, n) => `${category}${promo ? '促销' : '会员通讯'} #${n}`,
  triggered: {
    emailName: (category) => `${category}浏览提醒（自动触发）`,
    smsName: (category) => `${category}短信提醒（自动触发）`,
    email: ['还在考虑吗？你看中的{c}好物还在等你', '补货到店，今日{c}好物八五折：就是你看过的那件'],
    sms: ['你购物车里的{c}好物还在。回复TD退订', '你看过的{c}好物今日八五折，仅限今天。回复TD退订'],
  },
};

/** Every Chinese string of the pack (the model builder puts their characters in its demo vocabulary). */
export function zhPackText(): string {
  const p = ZH_PACK;
  return [
    ...Object.entries(p.categories).flatMap(([c, spec]) => [c, ...spec.nouns]),
    ...p.adjectives,
    ...p.features,
    ...p.campaignCopy,
    p.description('', [], ''),
    p.campaignName('', true, 0),
    p.campaignName('', false, 0),
    p.triggered.emailName(''),
    p.triggered.smsName(''),
    ...p.triggered.email,
    ...p.triggered.sms,
  ].join('');
}
