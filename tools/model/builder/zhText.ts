/**
 * The text the builder's Chinese vocabulary is generated from.
 *
 * The first half of the 千字文 (Thousand Character Classic, Zhou Xingsi, 6th
 * century; public domain): a classical text of distinct characters, so the
 * random-weight demo model's gibberish is made of real characters. Modern
 * marketing words are not in it; the builder adds the characters of Muse's
 * own Chinese prompt templates and demo catalog (see `zhTokenizerFiles`).
 */
export const QIANZIWEN_FIRST_HALF =
  '天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜' +
  '金生丽水玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇' +
  '始制文字乃服衣裳推位让国有虞陶唐吊民伐罪周发殷汤坐朝问道垂拱平章爱育黎首臣伏戎羌' +
  '遐迩一体率宾归王鸣凤在竹白驹食场化被草木赖及万方盖此身发四大五常恭惟鞠养岂敢毁伤' +
  '女慕贞洁男效才良知过必改得能莫忘罔谈彼短靡恃己长信使可复器欲难量墨悲丝染诗赞羔羊' +
  '景行维贤克念作圣德建名立形端表正空谷传声虚堂习听祸因恶积福缘善庆尺璧非宝寸阴是竞' +
  '资父事君曰严与敬孝当竭力忠则尽命临深履薄夙兴温凉似兰斯馨如松之盛川流不息渊澄取映' +
  '容止若思言辞安定笃初诚美慎终宜令荣业所基籍甚无竟学优登仕摄职从政存以甘棠去而益咏' +
  '乐殊贵贱礼别尊卑上和下睦夫唱妇随外受傅训入奉母仪诸姑伯叔犹子比儿孔怀兄弟同气连枝' +
  '交友投分切磨箴规仁慈隐恻造次弗离节义廉退颠沛匪亏性静情逸心动神疲守真志满逐物意移' +
  '坚持雅操好爵自縻都邑华夏东西二京背邙面洛浮渭据泾宫殿盘郁楼观飞惊图写禽兽画彩仙灵' +
  '丙舍傍启甲帐对楹肆筵设席鼓瑟吹笙升阶纳陛弁转疑星右通广内左达承明既集坟典亦聚群英' +
  '杜稿钟隶漆书壁经府罗将相路侠槐卿户封八县家给千兵高冠陪辇驱毂振缨世禄侈富车驾肥轻' +
  '策功茂实勒碑刻铭';

/**
 * Needs and replies Muse's README and demo use (the first is the example of
 * the documents Muse was created from), so the demo vocabulary writes them.
 */
export const ZH_EXAMPLE_TEXT = [
  '我想买一部好看的电影',
  '我想买一个保温杯，送给跑步的朋友',
  '您好，您的订单已发货，预计三天内送达。如有问题请随时联系我们。',
  '欢迎回来！新品上市，限时优惠，欢迎选购。',
].join('');
