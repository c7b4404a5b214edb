// My reports: what is still on this device (waiting to send, or needing attention) and what
// was sent, each sent one linking to its tracking page.

import { el } from '../dom.js';
import { errorNode, formatDate, onLanguageChange, text } from '../i18n.js';
import { list as sentReports } from '../my-reports.js';
import { ATTENTION, discard, list as queued, onOutboxChange, retry, WAITING } from '../outbox.js';
import { QUEUE, replayReports } from '../report-queue.js';

function queuedItem(item) {
  const waiting = item.state === WAITING;
  const actions = waiting
    ? [el('button', { type: 'button', class: 'button', onclick: () => replayReports().catch(() => {}) },
      text('mine.sendNow'))]
    : [el('button', { type: 'button', class: 'button', onclick: () => retry(item.id)
      .then(() => replayReports()).catch(() => {}) }, text('mine.retry')),
    el('button', { type: 'button', class: 'button danger', onclick: () => discard(item.id) },
      text('mine.discard'))];
  return el('li', { class: `card ${waiting ? 'waiting' : 'attention'}`, 'data-outbox-id': item.id },
    el('h3', {}, item.meta.service_name || ''),
    el('p', { class: `badge ${waiting ? 'waiting' : 'attention'}` },
      text(waiting ? 'state.waiting' : 'state.attention')),
    item.attention ? el('p', { class: 'attention-message' }, errorNode(item.attention)) : null,
    item.meta.description ? el('p', { class: 'description' }, item.meta.description) : null,
    el('p', { class: 'hint' }, text('mine.madeAt', { when: formatDate(item.timestamp) })),
    el('div', { class: 'row' }, ...actions));
}

function sentItem(report) {
  return el('li', { class: 'card' },
    el('h3', {}, el('a', { href: `#/track/${encodeURIComponent(report.tracking)}` },
      report.service_name || report.tracking)),
    el('p', { class: 'tracking small' }, report.tracking),
    report.status ? el('p', { class: 'badge' }, text(`status.${report.status}`)) : null,
    el('p', { class: 'hint' }, text('mine.sentAt', { when: formatDate(report.created_at) })));
}

export async function render(container) {
  const body = el('div');
  container.append(el('h1', {}, text('mine.title')), body);

  async function draw() {
    const items = await queued(QUEUE);
    const waiting = items.filter((i) => i.state === WAITING);
    const attention = items.filter((i) => i.state === ATTENTION);
    const sent = await sentReports();
    const section = (titleKey, id, entries, drawEntry) => entries.length
      ? el('section', { 'aria-labelledby': id }, el('h2', { id }, text(titleKey)),
        el('ul', { class: 'cards' }, ...entries.map(drawEntry)))
      : null;
    const parts = [
      section('mine.attention', 'mine-attention', attention, queuedItem),
      section('mine.waiting', 'mine-waiting', waiting, queuedItem),
      section('mine.sent', 'mine-sent', sent, sentItem),
    ].filter(Boolean);
    body.replaceChildren(...(parts.length ? parts : [text('mine.none', {}, 'p')]));
  }

  await draw();
  const stopOutbox = onOutboxChange(() => draw());
  const stopLanguage = onLanguageChange(() => draw());
  return () => { stopOutbox(); stopLanguage(); };
}
