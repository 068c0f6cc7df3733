/**
 * Ids a hostile (or unlucky) client sends: names of Object.prototype's
 * members, non-Latin scripts, emoji, the longest allowed. All are valid ids.
 */
export const HOSTILE_IDS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'ünïcødé-客户',
  '🛒🎁',
  'x'.repeat(128),
];
