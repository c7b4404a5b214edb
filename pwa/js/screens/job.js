// One job (#/job/<id>): what and where, the report's photos, and the crew's actions: accept,
// start, complete (notes and a photo of the finished work), could not complete (the reason).
// Each action is kept on the phone first and sent at once when there is a connection; until
// the server has it, the job shows it as waiting to send.

import { getJSON } from '../api.js';
import { cameraInput, previewUrl } from '../camera.js';
import { fetchJob, job as cachedJob } from '../crew-jobs.js';
import { queueAction, queued, sendActions } from '../crew-actions.js';
import { actionsByJob, attentionCard, distanceWords, statusAfter, statusBadge }
  from '../crew-view.js';
import { distanceM } from '../distance.js';
import { el, markInvalid, uniqueId } from '../dom.js';
import { locate } from '../geolocation.js';
import { formatDate, onLanguageChange, t, text } from '../i18n.js';
import { onOutboxChange } from '../outbox.js';
import { go } from '../router.js';
import { staff } from '../staff.js';

// What the crew can do from each status (the server's state machine decides in the end).
const NEXT = {
  assigned: ['accept', 'start', 'could_not_complete'],
  accepted: ['start', 'complete', 'could_not_complete'],
  in_progress: ['complete', 'could_not_complete'],
};
const NEEDS_FORM = new Set(['complete', 'could_not_complete']);

function photoUrl(photo) {
  const urls = photo.urls || {};
  return urls.thumb || urls.small || Object.values(urls)[0];
}

async function reportPhotos(tracking) {
  if (!tracking) return [];
  try {
    return (await getJSON(`/api/v1/requests/${encodeURIComponent(tracking)}`)).photos || [];
  } catch {
    return []; // offline and never seen: the job is still workable without them
  }
}

function facts(job, here) {
  const row = (key, value) => (value ? [el('dt', {}, text(key)), el('dd', {}, value)] : null);
  const distance = here && job.lat !== null ? distanceWords(distanceM(here, job)) : '';
  return el('dl', { class: 'job-details' },
    row('job.tracking', job.tracking),
    row('job.address', job.address || `${job.lat}, ${job.lon}`),
    row('job.distance', distance),
    row('job.priority', t(`priority.${job.priority}`)),
    row('job.due', job.due_at ? formatDate(job.due_at) : ''),
    row('job.instructions', job.instructions),
    row('job.description', job.description));
}

/** The form for complete (notes, proof photo) or could not complete (reason). */
function actionForm(job, action, onSubmit, onCancel) {
  const completing = action === 'complete';
  const notes = el('textarea', { id: uniqueId('notes'), rows: 3, maxlength: 4000,
    required: !completing });
  const error = el('p', { class: 'field-error', id: uniqueId('error'), 'aria-live': 'polite' });
  const photo = { value: null };
  const parts = [el('h3', {}, text(completing ? 'job.completeTitle' : 'job.notDoneTitle')),
    el('div', { class: 'field' }, el('label', { for: notes.id },
      text(completing ? 'job.notes' : 'job.reason'), ' ',
      text(completing ? 'form.optional' : 'form.required')), notes)];
  let photoInput = null;
  if (completing) {
    photoInput = el('input', { id: uniqueId('proof'), class: 'visually-hidden' });
    const preview = el('div', { class: 'photos' });
    cameraInput(photoInput, (taken) => {
      photo.value = taken;
      const url = previewUrl(taken);
      const img = el('img', { src: url, alt: t('job.proofPreview'), width: 120, height: 90 });
      img.addEventListener('load', () => URL.revokeObjectURL(url));
      preview.replaceChildren(img);
      error.textContent = '';
    }, (key) => { error.textContent = t(key); });
    parts.push(el('div', { class: 'field' }, photoInput,
      el('label', { for: photoInput.id, class: 'button' }, text('job.proofPhoto'), ' ',
        text(job.proof_required ? 'form.required' : 'form.optional')), preview));
  }
  const cancel = el('button', { type: 'button', class: 'button' }, text('job.cancel'));
  cancel.addEventListener('click', onCancel);
  parts.push(error, el('div', { class: 'row' }, el('button', { type: 'submit',
    class: 'button primary' }, text(completing ? 'job.markComplete' : 'job.markNotDone')),
  cancel));
  const form = el('form', { class: 'job-form', novalidate: true, id: `form-${action}` },
    ...parts);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const written = notes.value.trim();
    if (!completing && !written) {
      error.textContent = t('job.reasonRequired');
      markInvalid(notes, true);
      notes.focus();
      return;
    }
    if (completing && job.proof_required && !photo.value) {
      error.textContent = t('job.photoRequired');
      photoInput.focus();
      return;
    }
    onSubmit(completing ? { notes: written } : { reason: written },
      photo.value ? [photo.value] : []);
  });
  return form;
}

export async function render(container, [id]) {
  const member = staff();
  if (!member || member.role !== 'crew') {
    go('signin', 'crew');
    return undefined;
  }
  const status = el('div', { role: 'status', 'aria-live': 'polite', id: 'job-status',
    class: 'status' });
  const body = el('div');
  const photos = el('div');
  container.append(el('p', {}, el('a', { href: '#/crew' }, text('job.back'))), body, photos,
    status);
  let job = await cachedJob(id);
  if (!job && navigator.onLine) job = await fetchJob(id).catch(() => null);
  if (!job) {
    body.append(el('h1', {}, text('job.title')), text('job.notOnPhone', {}, 'p'));
    return undefined;
  }
  let here = null;
  let items = [];
  let openForm = null;
  let alive = true;

  async function perform(action, fields = {}, taken = []) {
    openForm = null;
    await queueAction(job, action, fields, taken);
    status.replaceChildren(text(navigator.onLine ? 'job.sending' : 'job.savedOffline', {},
      'p'));
    if (!navigator.onLine) return;
    const sent = await sendActions();
    if (!alive) return;
    if (sent.applied.length && !sent.waiting) status.replaceChildren(text('job.sent', {}, 'p'));
    else if (sent.conflicts.length || sent.rejected.length) {
      status.replaceChildren(text('job.notApplied', {}, 'p'));
    } else status.replaceChildren(text('job.savedOffline', {}, 'p'));
  }

  function actionButtons(current, waiting) {
    if (!job.mine && current === 'unassigned') {
      if (!job.self_assign) return [text('job.dispatchHandsOut', {}, 'p')];
      return [el('button', { type: 'button', class: 'button primary',
        onclick: () => perform('accept') }, text('action.take'))];
    }
    if (!job.mine || !NEXT[current]) return waiting.length ? [] : [text('job.closed', {}, 'p')];
    return NEXT[current].map((action) => el('button', {
      type: 'button',
      class: `button${action === 'could_not_complete' ? ' danger' : ' primary'}`,
      onclick: () => {
        if (!NEEDS_FORM.has(action)) {
          perform(action);
          return;
        }
        openForm = action;
        draw();
        document.querySelector(`#form-${action} textarea`)?.focus();
      },
    }, text(`action.${action}`)));
  }

  function draw() {
    const mine = actionsByJob(items).get(job.id) || { waiting: [], attention: [] };
    const current = statusAfter(job, mine.waiting);
    const form = openForm && NEEDS_FORM.has(openForm)
      ? actionForm(job, openForm, (fields, taken) => perform(openForm, fields, taken),
        () => { openForm = null; draw(); })
      : null;
    const location = job.lat !== null
      ? el('a', { href: `geo:${job.lat},${job.lon}?q=${job.lat},${job.lon}`, class: 'button small' },
        text('job.openInMaps')) : null;
    body.replaceChildren(...[
      el('h1', {}, job.service_name || t('job.title')),
      el('p', {}, statusBadge(current, { pending: mine.waiting.length > 0 }),
        mine.waiting.length ? [' ', el('span', { class: 'badge waiting' },
          t('crew.waitingActions', { count: mine.waiting.length }))] : null),
      mine.attention.length ? el('ul', { class: 'cards' }, ...mine.attention.map((item) =>
        attentionCard(item, items, () => reload().then(() => sendActions())))) : null,
      facts(job, here), location,
      el('h2', {}, text('job.actions')),
      form || el('div', { class: 'row job-actions' }, ...actionButtons(current, mine.waiting)),
    ].filter(Boolean));
  }

  async function reload() {
    [job, items] = await Promise.all([cachedJob(id).then((found) => found || job), queued()]);
    if (alive && !openForm) draw();
  }

  draw();
  await reload();
  locate({ timeout: 8000 }).then((found) => { here = found; if (alive && !openForm) draw(); })
    .catch(() => {});
  reportPhotos(job.tracking).then((found) => {
    if (!alive || !found.length) return;
    photos.replaceChildren(el('h2', {}, text('job.photos')), el('ul', { class: 'photos' },
      ...found.map((p) => el('li', {}, el('img', { src: photoUrl(p), loading: 'lazy',
        width: 160, height: 120, alt: t(p.kind === 'proof' ? 'track.photoProof'
          : 'track.photoReport') })))));
  });
  const stops = [onOutboxChange(() => reload()), onLanguageChange(() => draw())];
  return () => { alive = false; stops.forEach((stop) => stop()); };
}
