// Follow a report by its tracking number: status, what it means, the timeline, the expected
// date and the photos (including the proof of the fix once there is one).

import { getJSON, postJSON, send } from '../api.js';
import { el, uniqueId } from '../dom.js';
import { errorNode, formatDate, language, onLanguageChange, text } from '../i18n.js';
import { remember, list as sentReports } from '../my-reports.js';
import { go } from '../router.js';

function photoUrl(photo) {
  const urls = photo.urls || {};
  return urls.thumb || urls.small || urls.medium || Object.values(urls)[0];
}

function details(report) {
  const timeline = el('ol', { class: 'timeline' }, ...report.timeline.map((e) => el('li', {},
    el('p', {}, el('strong', {}, text(`event.${e.kind}`)),
      e.status ? [' — ', text(`status.${e.status}`)] : null),
    el('p', { class: 'hint' }, el('time', { datetime: e.at }, formatDate(e.at))),
    e.note ? el('p', {}, e.note) : null)));
  const photos = report.photos.map((p) => el('li', {},
    el('img', { src: photoUrl(p), alt: '', loading: 'lazy', width: 160, height: 120 }),
    text(p.kind === 'proof' ? 'track.photoProof' : 'track.photoReport', {}, 'p')));
  return el('article', { class: 'report-details', 'aria-labelledby': 'track-number' },
    el('h2', { id: 'track-number', class: 'tracking' }, report.tracking),
    el('p', {}, report.service_name),
    el('p', { class: `badge status-${report.public_status}`, id: 'track-status' },
      text(`status.${report.status}`)),
    el('p', { class: 'status-note' }, text(`statusNote.${report.status}`)),
    el('dl', {},
      el('dt', {}, text('track.reported')), el('dd', {}, formatDate(report.created_at)),
      el('dt', {}, text('track.expected')),
      el('dd', {}, report.expected_at ? formatDate(report.expected_at) : text('track.noDate')),
      report.closed_at ? [el('dt', {}, text('track.closed')), el('dd', {}, formatDate(report.closed_at))] : null,
      report.duplicate_of ? [el('dt', {}, text('track.duplicateOf')),
        el('dd', {}, el('a', { href: `#/track/${report.duplicate_of}` }, report.duplicate_of))] : null),
    report.description ? el('p', { class: 'description' }, report.description) : null,
    photos.length ? [el('h3', {}, text('track.photos')), el('ul', { class: 'photos' }, ...photos)] : null,
    el('h3', {}, text('track.timeline')), timeline);
}

// "Notify me": updates by email (confirmed from the inbox) or by push on this phone. The push
// subscription of this browser is shared by every report; each report keeps its own
// unsubscribe token here, so turning one report off leaves the others on.
const PUSH_TOKENS = 'frontdoor.pushTokens';

function pushTokens() {
  try {
    return JSON.parse(localStorage.getItem(PUSH_TOKENS)) || {};
  } catch {
    return {};
  }
}

function savePushToken(tracking, token) {
  const tokens = pushTokens();
  if (token) tokens[tracking] = token;
  else delete tokens[tracking];
  localStorage.setItem(PUSH_TOKENS, JSON.stringify(tokens));
}

function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function turnPushOn(tracking) {
  if (await Notification.requestPermission() !== 'granted') throw new Error('denied');
  const { public_key: key } = await getJSON('/api/v1/push/vapid-public-key');
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription()
    || await registration.pushManager.subscribe({ userVisibleOnly: true,
      applicationServerKey: keyBytes(key) });
  const answer = await postJSON(`/api/v1/requests/${encodeURIComponent(tracking)}/subscriptions`,
    { channel: 'push', subscription: subscription.toJSON(), language: language() });
  savePushToken(tracking, answer.unsubscribe_token);
}

async function turnPushOff(tracking) {
  const token = pushTokens()[tracking];
  if (token) {
    await send(`/api/v1/subscriptions/unsubscribe/${encodeURIComponent(token)}`,
      { method: 'POST', headers: { Accept: 'application/json' } }).catch(() => {});
  }
  savePushToken(tracking, null);
}

function notifyMe(report) {
  const tracking = report.tracking;
  const status = el('p', { role: 'status', 'aria-live': 'polite', class: 'hint' });
  const email = el('input', { id: uniqueId('notify-email'), type: 'email', required: true,
    autocomplete: 'email', inputmode: 'email' });
  const emailForm = el('form', { class: 'notify-email' },
    el('label', { for: email.id }, text('notify.email')), email,
    el('button', { type: 'submit', class: 'button' }, text('notify.emailSend')));
  emailForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await postJSON(`/api/v1/requests/${encodeURIComponent(tracking)}/subscriptions`,
        { channel: 'email', address: email.value.trim(), language: language() });
      status.replaceChildren(text('notify.emailSent'));
      email.value = '';
    } catch (error) {
      status.replaceChildren(errorNode(error));
    }
  });

  const canPush = 'serviceWorker' in navigator && 'PushManager' in window
    && 'Notification' in window;
  const toggle = el('input', { id: uniqueId('notify-push'), type: 'checkbox',
    checked: canPush && Boolean(pushTokens()[tracking]), disabled: !canPush });
  toggle.addEventListener('change', async () => {
    toggle.disabled = true;
    try {
      if (toggle.checked) {
        await turnPushOn(tracking);
        status.replaceChildren(text('notify.pushOn'));
      } else {
        await turnPushOff(tracking);
        status.replaceChildren(text('notify.pushOff'));
      }
    } catch (error) {
      toggle.checked = false;
      status.replaceChildren(error.message === 'denied' ? text('notify.pushDenied')
        : errorNode(error));
    } finally {
      toggle.disabled = false;
    }
  });
  return el('section', { class: 'notify-me', 'aria-labelledby': 'notify-title' },
    el('h3', { id: 'notify-title' }, text('notify.title')), emailForm,
    el('p', { class: 'notify-push' }, toggle, ' ',
      el('label', { for: toggle.id }, text('notify.push'))),
    canPush ? null : text('notify.pushUnsupported', {}, 'p'), status);
}

export async function render(container, [tracking = '']) {
  const input = el('input', { id: uniqueId('tracking'), type: 'text', value: tracking,
    autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true });
  const form = el('form', { class: 'lookup', role: 'search' },
    el('label', { for: input.id }, text('track.number')), input,
    el('button', { type: 'submit', class: 'button primary' }, text('track.lookUp')));
  const result = el('div', { role: 'status', 'aria-live': 'polite' });
  container.append(el('h1', {}, text('track.title')), form, result);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) go('track', input.value.trim().toUpperCase());
  });

  async function show() {
    if (!tracking) return;
    result.replaceChildren(text('track.loading', {}, 'p'));
    try {
      const report = await getJSON(`/api/v1/requests/${encodeURIComponent(tracking)}`);
      result.replaceChildren(details(report),
        report.public_status === 'open' ? notifyMe(report) : '');
      const mine = (await sentReports()).some((r) => r.tracking === report.tracking);
      if (mine) await remember({ tracking: report.tracking, status: report.status });
    } catch (error) {
      const node = errorNode(error, 'p');
      node.className = 'field-error';
      result.replaceChildren(node);
    }
  }
  await show();
  return onLanguageChange(() => show());
}
