// Report a problem: where (locate me, move the pin), what (category and its questions),
// a photo, a description, optional private contact details → Send → tracking number.
// Every report goes through the outbox, so one made offline is simply sent later.

import { getJSON, postJSON } from '../api.js';
import { cameraInput, previewUrl } from '../camera.js';
import { appConfig } from '../config.js';
import { el, uniqueId } from '../dom.js';
import { duplicateCards, findDuplicates } from '../duplicates.js';
import { EMAIL, PHONE, errorSummary, field, passesChecks, showProblem } from '../form-field.js';
import { locate } from '../geolocation.js';
import { errorNode, language, onLanguageChange, t, text } from '../i18n.js';
import { pinMap } from '../map.js';
import { byKey } from '../my-reports.js';
import { ATTENTION, get as outboxItem, onOutboxChange } from '../outbox.js';
import { photoPlace } from '../photo-place.js';
import { questionFields } from '../questions.js';
import { queueReport, replayReports } from '../report-queue.js';
import { refresh } from '../router.js';

const MAX_PHOTOS = 3;
const DUPLICATE_WAIT_MS = 400;

export async function render(container) {
  const config = appConfig();
  // fromPhoto: the photo whose recorded place the resident took for the pin (until it moves).
  const state = { placed: false, photos: [], services: [], questions: null, fromPhoto: null };
  const cleanups = [];
  let duplicateTimer = null;
  let duplicateTicket = 0; // only the latest look-up's answer is shown
  cleanups.push(() => clearTimeout(duplicateTimer));

  // -- where --------------------------------------------------------------------------------
  const geoStatus = el('p', { class: 'status', role: 'status' });
  const locateButton = el('button', { type: 'button', class: 'button primary' }, text('report.locate'));
  const mapBox = el('div', { class: 'map', id: 'report-map', tabindex: '0' });
  const pinText = el('p', { class: 'hint', role: 'status' }, text('report.pinHint'));
  const centreButton = el('button', { type: 'button', class: 'button' }, text('report.pinToCentre'));
  const whereError = el('p', { class: 'field-error', hidden: true });
  const where = el('section', { 'aria-labelledby': 'where-title' },
    el('h2', { id: 'where-title' }, text('report.where')),
    locateButton, geoStatus, mapBox, centreButton, pinText, whereError);

  // -- what ---------------------------------------------------------------------------------
  const serviceSelect = el('select', { id: uniqueId('service'), required: true });
  const serviceField = field('report.category', serviceSelect);
  const serviceAbout = el('p', { class: 'hint' });
  const questionsBox = el('div', { class: 'questions' });
  const what = el('section', { 'aria-labelledby': 'what-title' },
    el('h2', { id: 'what-title' }, text('report.what')),
    serviceField.node, serviceAbout, questionsBox);

  // -- photo and description ----------------------------------------------------------------
  const photoInput = el('input', { id: uniqueId('photo'), class: 'visually-hidden' });
  const photoLabel = el('label', { for: photoInput.id, class: 'button' }, text('report.addPhoto'));
  const photoList = el('ul', { class: 'photos' });
  const photoStatus = el('p', { class: 'field-error', role: 'status' });
  const photoOffer = el('div', { class: 'photo-offer', id: 'photo-place', 'aria-live': 'polite',
    hidden: true });
  const description = el('textarea', { id: uniqueId('description'), rows: 4,
    maxlength: config.max_description_chars });
  const descriptionField = field('report.description', description, { hintKey: 'form.optional' });
  const details = el('section', { 'aria-labelledby': 'details-title' },
    el('h2', { id: 'details-title' }, text('report.details')),
    el('div', { class: 'field' }, photoInput, photoLabel, photoList, photoStatus, photoOffer),
    descriptionField.node);

  // -- contact (optional, private) ----------------------------------------------------------
  const contact = {
    name: field('contact.name', el('input', { id: uniqueId('name'), type: 'text', maxlength: 120,
      autocomplete: 'name' })),
    email: field('contact.email', el('input', { id: uniqueId('email'), type: 'email',
      maxlength: 254, autocomplete: 'email', inputmode: 'email' })),
    phone: field('contact.phone', el('input', { id: uniqueId('phone'), type: 'tel', maxlength: 40,
      autocomplete: 'tel', inputmode: 'tel' })),
  };
  const contactBox = el('fieldset', { class: 'contact' },
    el('legend', {}, text('contact.title')),
    text('contact.private', {}, 'p'),
    contact.name.node, contact.email.node, contact.phone.node);

  // -- send ---------------------------------------------------------------------------------
  const summary = errorSummary();
  const sendButton = el('button', { type: 'submit', class: 'button primary send' }, text('report.send'));
  // -- is it one of these? (online only: offline, the resident simply sends) -----------------
  const duplicateList = el('ul', { class: 'cards', id: 'report-duplicates' });
  const duplicateStatus = el('p', { class: 'field-error', role: 'status' });
  const duplicates = el('section', { 'aria-labelledby': 'dups-title', hidden: true },
    el('h2', { id: 'dups-title' }, text('report.duplicatesTitle')),
    text('report.duplicatesHint', {}, 'p'), duplicateStatus, duplicateList);

  const form = el('form', { class: 'report', novalidate: true },
    where, what, duplicates, details, contactBox, summary,
    el('div', { class: 'actions' }, sendButton));
  const outcome = el('section', { class: 'outcome', tabindex: '-1', hidden: true });
  container.append(el('h1', {}, text('report.title')), form, outcome);

  // -- behaviour ----------------------------------------------------------------------------
  const mapLabels = () => ({ map: t('report.mapLabel'), pin: t('report.pinLabel') });
  let map = null;
  try {
    map = await pinMap(mapBox, config.map, mapLabels());
    map.onPinMove((point) => {
      state.placed = true;
      state.fromPhoto = null; // moved (or located): the pin is the resident's own now
      if (photoOffer.dataset.offer) photoOffer.hidden = true;
      checkDuplicates();
      pinText.replaceChildren(text('report.pinAt', {
        lat: point.lat.toFixed(5), lon: point.lon.toFixed(5) }));
      whereError.hidden = true;
    });
    cleanups.push(() => map.destroy());
  } catch {
    mapBox.replaceChildren(text('report.noMap', {}, 'p'));
  }
  cleanups.push(onLanguageChange(() => map?.relabel(mapLabels())));

  locateButton.addEventListener('click', async () => {
    geoStatus.replaceChildren(text('geo.finding'));
    locateButton.disabled = true;
    try {
      const here = await locate();
      map?.setPin(here);
      state.placed = true;
      state.accuracy = here.accuracy;
      if (!map) state.point = here;
      geoStatus.replaceChildren(text('geo.found', { metres: Math.round(here.accuracy || 0) }));
    } catch (error) {
      geoStatus.replaceChildren(text(`geo.${error.code || 'unavailable'}`));
    } finally {
      locateButton.disabled = false;
    }
  });
  centreButton.addEventListener('click', () => map?.pinToCentre());

  cameraInput(photoInput, (photo) => {
    if (state.photos.length >= MAX_PHOTOS) {
      photoStatus.replaceChildren(text('photo.tooMany', { max: MAX_PHOTOS }));
      return;
    }
    photoStatus.replaceChildren();
    state.photos.push(photo);
    drawPhotos();
    offerPhotoPlace(photo);
  }, (key) => photoStatus.replaceChildren(text(key)));

  // A resident who has not said where yet may take the place the photo records.
  function offerPhotoPlace(photo) {
    const place = !state.placed && photoPlace(photo.data);
    if (!place) return;
    const use = el('button', { type: 'button', class: 'button primary' },
      text('photo.usePlace'));
    photoOffer.replaceChildren(text('photo.hasPlace', {}, 'p'), use);
    photoOffer.dataset.offer = 'open';
    photoOffer.hidden = false;
    use.addEventListener('click', () => {
      if (map) map.setPin(place);
      else state.point = place;
      state.placed = true;
      state.fromPhoto = photo; // after setPin, whose listener forgets it
      whereError.hidden = true;
      delete photoOffer.dataset.offer;
      photoOffer.replaceChildren(text('photo.placeUsed', {}, 'p'));
      photoOffer.hidden = false;
      photoOffer.querySelector('p').tabIndex = -1;
      photoOffer.querySelector('p').focus();
    });
  }

  function forgetPhoto(index) {
    const [removed] = state.photos.splice(index, 1);
    if (state.fromPhoto === removed) state.fromPhoto = null;
    if (photoOffer.dataset.offer && !state.photos.some((p) => photoPlace(p.data))) {
      photoOffer.hidden = true;
    }
    drawPhotos();
  }

  function drawPhotos() {
    photoList.replaceChildren(...state.photos.map((photo, index) => {
      const url = previewUrl(photo);
      const img = el('img', { src: url, alt: t('photo.preview', { n: index + 1 }), width: 96,
        height: 96 });
      img.addEventListener('load', () => URL.revokeObjectURL(url));
      return el('li', {}, img, el('button', { type: 'button', class: 'button small',
        onclick: () => forgetPhoto(index) },
      text('photo.remove')));
    }));
  }

  function chooseService() {
    const service = state.services.find((s) => s.code === serviceSelect.value);
    serviceAbout.textContent = service?.description || '';
    questionsBox.replaceChildren();
    state.questions = questionFields(questionsBox, service);
    checkDuplicates();
  }
  serviceSelect.addEventListener('change', chooseService);

  try {
    state.services = await getJSON('/api/v1/services');
  } catch (error) {
    serviceField.error.replaceChildren(errorNode(error));
    serviceField.error.hidden = false;
  }
  const groups = new Map();
  for (const service of state.services) {
    if (!groups.has(service.group)) groups.set(service.group, []);
    groups.get(service.group).push(service);
  }
  serviceSelect.append(el('option', { value: '', 'data-i18n': 'report.choose' }, t('report.choose')),
    ...[...groups].map(([group, services]) => el('optgroup', { label: group || '—' },
      ...services.map((s) => el('option', { value: s.code }, s.name)))));
  chooseService();

  function checkDuplicates() {
    clearTimeout(duplicateTimer);
    if (!state.placed || !map || !serviceSelect.value) return;
    duplicateTimer = setTimeout(async () => {
      const ticket = ++duplicateTicket;
      try {
        const found = await findDuplicates({ ...map.pin(), service: serviceSelect.value });
        if (ticket !== duplicateTicket) return;
        duplicates.hidden = !found.length;
        duplicateList.replaceChildren(...duplicateCards(found, 'report.meToo', follow));
      } catch {
        if (ticket === duplicateTicket) duplicates.hidden = true; // offline: just send
      }
    }, DUPLICATE_WAIT_MS);
  }

  // "Me too": one more supporter, and the report's updates by email when one is given.
  async function follow(candidate, button) {
    const email = contact.email.control.value.trim();
    button.disabled = true;
    try {
      const answer = await postJSON(
        `/api/v1/requests/${encodeURIComponent(candidate.tracking)}/follow`,
        { email: EMAIL.test(email) ? email : '', language: language() });
      form.hidden = true;
      outcome.hidden = false;
      outcome.replaceChildren(
        el('h2', {}, text('outcome.followingTitle')),
        el('p', {}, text(answer.subscribed ? 'outcome.followingEmail' : 'outcome.following')),
        el('p', { class: 'tracking', id: 'tracking-number' }, answer.tracking),
        el('p', {}, el('a', { href: `#/track/${encodeURIComponent(answer.tracking)}`,
          class: 'button primary' }, text('outcome.follow'))),
        anotherButton());
      outcome.focus();
    } catch (error) {
      duplicateStatus.replaceChildren(errorNode(error));
      button.disabled = false;
    }
  }

  function validate() {
    const problems = [];
    const note = (problem, focusTarget) => problem && problems.push({ ...problem, focusTarget });
    if (!state.placed) {
      whereError.replaceChildren(text('validation.location'));
      whereError.hidden = false;
      note({ key: 'validation.location' }, locateButton);
    }
    const noService = !serviceSelect.value && { key: 'validation.category' };
    showProblem(serviceField, noService);
    note(noService, serviceSelect);
    if (state.questions) problems.push(...state.questions.validate());
    const tooLong = description.value.length > config.max_description_chars &&
      { key: 'validation.tooLong', vars: { max: config.max_description_chars } };
    showProblem(descriptionField, tooLong);
    note(tooLong, description);
    const email = contact.email.control.value.trim();
    const badEmail = email && !EMAIL.test(email) && { key: 'validation.email' };
    showProblem(contact.email, badEmail);
    note(badEmail, contact.email.control);
    const badPhone = !PHONE.test(contact.phone.control.value.trim()) && { key: 'validation.phone' };
    showProblem(contact.phone, badPhone);
    note(badPhone, contact.phone.control);
    return problems;
  }

  // The server reads the place from the first photo that records one; when that is the
  // photo the resident took the place of, say no point and let the server's reading stand
  // (the report then says its place came from the photo).
  function placeFromPhoto() {
    return Boolean(state.fromPhoto)
      && state.photos.find((p) => photoPlace(p.data)) === state.fromPhoto;
  }

  function reportBody() {
    const point = map ? map.pin() : state.point;
    const body = {
      service_code: serviceSelect.value,
      ...(placeFromPhoto() ? {} : { lat: Number(point.lat.toFixed(6)),
        lon: Number(point.lon.toFixed(6)) }),
      description: description.value.trim(),
      attributes: state.questions ? state.questions.answers() : {},
      photos: [],
    };
    const who = Object.fromEntries(Object.entries(contact)
      .map(([name, f]) => [name, f.control.value.trim()]));
    if (Object.values(who).some(Boolean)) body.contact = { ...who, language: language() };
    return body;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!passesChecks(summary, validate())) return;
    sendButton.disabled = true;
    const key = crypto.randomUUID(); // made now: every resend of this report carries it
    const service = state.services.find((s) => s.code === serviceSelect.value);
    const body = reportBody();
    const item = await queueReport(body, state.photos, key, {
      service_name: service?.name || body.service_code,
      description: body.description,
    });
    form.hidden = true;
    outcome.hidden = false;
    showOutcome(item.id, key);
    cleanups.push(onOutboxChange(() => showOutcome(item.id, key)));
    await replayReports().catch(() => {});
    outcome.focus();
  });

  async function showOutcome(id, key) {
    const sent = await byKey(key);
    if (sent) {
      outcome.replaceChildren(
        el('h2', {}, text('outcome.sentTitle')),
        el('p', {}, text('outcome.trackingIs')),
        el('p', { class: 'tracking', id: 'tracking-number' }, sent.tracking),
        el('p', {}, el('a', { href: `#/track/${encodeURIComponent(sent.tracking)}`,
          class: 'button primary' }, text('outcome.follow'))),
        anotherButton());
      return;
    }
    const item = await outboxItem(id);
    if (!item) return;
    if (item.state === ATTENTION) {
      outcome.replaceChildren(
        el('h2', {}, text('outcome.attentionTitle')),
        el('p', { class: 'attention-message' }, errorNode(item.attention)),
        el('p', {}, el('a', { href: '#/mine', class: 'button' }, text('outcome.seeMine'))),
        anotherButton());
      return;
    }
    outcome.replaceChildren(
      el('h2', {}, text('outcome.waitingTitle')),
      el('p', { class: 'badge waiting' }, text('state.waiting')),
      el('p', {}, text('outcome.waitingBody')),
      anotherButton());
  }

  function anotherButton() {
    return el('p', {}, el('a', { href: '#/report', class: 'button',
      onclick: (e) => { e.preventDefault(); refresh({ focus: true }); } },
    text('outcome.another')));
  }

  return () => cleanups.forEach((fn) => fn());
}
