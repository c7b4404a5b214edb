// Pieces the crew's screens share: a job's status with the crew's waiting actions laid over
// it, distances in words, and the "needs attention" card for an action the server refused.

import { el } from './dom.js';
import { errorNode, language, t, text } from './i18n.js';
import { LEADS_TO, applyAgain, dismiss } from './crew-actions.js';
import { ATTENTION, WAITING } from './outbox.js';
import { staff } from './staff.js';

/** {waiting: [item], attention: [item]} per job id. */
export function actionsByJob(items) {
  const found = new Map();
  for (const item of items) {
    const id = item.meta.action.work_order_id;
    if (!found.has(id)) found.set(id, { waiting: [], attention: [] });
    if (item.state === WAITING) found.get(id).waiting.push(item);
    if (item.state === ATTENTION) found.get(id).attention.push(item);
  }
  return found;
}

/** The status the crew member will see once their waiting actions are sent. */
export function statusAfter(job, waiting = []) {
  return waiting.length ? LEADS_TO[waiting[waiting.length - 1].meta.action.action] : job.status;
}

export function distanceWords(metres) {
  if (metres === null || metres === undefined) return t('crew.noDistance');
  const unit = metres < 1000 ? 'meter' : 'kilometer';
  const value = metres < 1000 ? Math.round(metres) : metres / 1000;
  return new Intl.NumberFormat(language(), { style: 'unit', unit, unitDisplay: 'short',
    maximumFractionDigits: metres < 1000 ? 0 : 1 }).format(value);
}

export function clock(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(language(), { timeStyle: 'short' }).format(new Date(iso));
}

export function statusBadge(status, { pending = false } = {}) {
  return el('span', { class: `badge work-${status}${pending ? ' waiting' : ''}` },
    text(`work.${status}`));
}

/** Why the server did not apply the action, in the crew member's language. */
export function attentionReason(item, items) {
  const { attention } = item;
  if (attention.kind !== 'conflict') return errorNode(attention, 'p');
  const base = item.meta.action.based_on;
  if (base && items.some((i) => i.meta.action.action_id === base && i.state === ATTENTION)) {
    return text('crew.conflictEarlier', {}, 'p');
  }
  const now = attention.work_order;
  if (!now) return text('crew.conflictChanged', { status: '—', at: '' }, 'p');
  const at = clock(now.updated_at);
  if (now.status === 'cancelled') return text('crew.conflictCancelled', { at }, 'p');
  if (!now.crew) return text('crew.conflictUnassigned', { at }, 'p');
  if (now.crew.name !== staff()?.crew) {
    return text('crew.conflictReassigned', { crew: now.crew.name, at }, 'p');
  }
  return text('crew.conflictChanged', { status: t(`work.${now.status}`), at }, 'p');
}

/**
 * A card for an action that needs the crew member's decision: what they did (with the notes
 * they wrote, so nothing typed is lost), why it was not applied, and the two ways out.
 * onDone() runs after either button.
 */
export function attentionCard(item, items, onDone) {
  const { action } = item.meta;
  const job = item.meta.job;
  const current = item.attention.work_order;
  const again = el('button', { type: 'button', class: 'button small' },
    text('crew.applyAgain'));
  const drop = el('button', { type: 'button', class: 'button small danger' },
    text('crew.discard'));
  again.addEventListener('click', async () => {
    await applyAgain(item, current || { version: action.version });
    onDone?.('again');
  });
  drop.addEventListener('click', async () => {
    await dismiss(item);
    onDone?.('discarded');
  });
  const canRetry = item.attention.kind === 'conflict' && current && current.crew
    && current.crew.name === staff()?.crew && !['completed', 'cancelled'].includes(current.status);
  return el('li', { class: 'card attention', dataset: { actionId: action.action_id } },
    el('h3', {}, el('a', { href: `#/job/${job.id}` }, job.service_name || job.tracking)),
    el('p', {}, text(item.attention.kind === 'conflict' ? 'crew.notAppliedConflict'
      : 'crew.notAppliedRefused', { action: t(`action.${action.action}`) })),
    el('div', { class: 'attention-message' }, attentionReason(item, items)),
    action.notes ? el('p', {}, text('crew.yourNotes', { notes: action.notes })) : null,
    action.reason ? el('p', {}, text('crew.yourReason', { reason: action.reason })) : null,
    el('div', { class: 'row' }, canRetry ? again : null, drop));
}
