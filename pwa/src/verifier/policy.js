// How fresh the verifier's lists are, and what that allows it to say (ARCHITECTURE.md: the
// verifier always shows how fresh its lists are and refuses "valid" past a hard limit).

export const WARN_AFTER_HOURS = 24;
export const REFUSE_AFTER_HOURS = 72;
const HOUR = 3600 * 1000;

/**
 * @param {number|null} syncedAt when this device last confirmed its lists with the server (ms)
 * @returns {{level: 'none'|'fresh'|'stale'|'too_old', ageMs: number|null}}
 */
export function freshness(syncedAt, {now, warnAfterHours = WARN_AFTER_HOURS, refuseAfterHours = REFUSE_AFTER_HOURS}) {
  if (!syncedAt) return {level: 'none', ageMs: null};
  const ageMs = Math.max(0, now - syncedAt); // a clock set back does not make lists younger than 0
  const level = ageMs > refuseAfterHours * HOUR ? 'too_old' : ageMs > warnAfterHours * HOUR ? 'stale' : 'fresh';
  return {level, ageMs};
}

/** Never "valid" from lists past the hard limit (or with no lists at all): "cannot confirm". */
export function applyFreshness(result, fresh) {
  if (result.status !== 'valid' || fresh.level === 'fresh' || fresh.level === 'stale') return result;
  return {...result, status: 'cannot_confirm', reason: fresh.level === 'none' ? 'no_lists' : 'lists_too_old'};
}

/** "3 h ago" as numbers for the i18n layer: {unit: 'minutes'|'hours'|'days', n}. */
export function ageParts(ageMs) {
  const minutes = Math.floor(ageMs / 60000);
  if (minutes < 60) return {unit: 'minutes', n: minutes};
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return {unit: 'hours', n: hours};
  return {unit: 'days', n: Math.floor(hours / 24)};
}
