// The call-taker's form (#/call): a dispatcher enters a report for a resident on the phone.
// Where (address search, or a pin on the map with the nearest address filled in), what
// (category and its questions), a description, the caller's contact details (private), then
// "is it one of these?" — follow an open report instead — or Send → the tracking number, big
// and spelled out to read over the phone. Sent at once (channel phone), never queued: staff
// work online, and a refusal must be seen while the caller is still on the line.

import { ApiError, send } from '../api.js';
import { addressSearch } from '../address-search.js';
import { duplicateCards, findDuplicates } from '../duplicates.js';
import { appConfig } from '../config.js';
import { el, uniqueId } from '../dom.js';
import {
  EMAIL, PHONE, errorSummary, field, passesChecks, showProblem, showSummary,
} from '../form-field.js';
import { errorNode, language, onLanguageChange, t, text } from '../i18n.js';
import { pinMap } from '../map.js';
import { questionFields } from '../questions.js';
import { go, refresh } from '../router.js';
import { trackingReadout } from '../spell.js';
import { authHeaders, isManager, setStaff } from '../staff.js';

const CALLER_LANGUAGES = ['en', 'es']; // what the server keeps for a reporter's messages
const NEAREST_WITHIN_M = 150;
const DUPLICATE_WAIT_MS = 400;

async function call(path, { method = 'GET', body, headers = {} } = {}) {
  const response = await send(path, { method, headers: { Accept: 'application/json',
    ...(body ? { 'Content-Type': 'application/json' } : {}), ...authHeaders(), ...headers },
  body: body ? JSON.stringify(body) : undefined });
  return response.json();
}

function input(type, attrs = {}) {
  return el('input', { id: uniqueId(type), type, ...attrs });
}

export async function render(container) {
  if (!isManager()) {
    go('signin', 'call');
    return undefined;
  }
  const config = appConfig();
  const state = { point: null, services: [], questions: null, key: null, addressFromPin: false };
  const cleanups = [];
  let duplicateTimer = null;
  let duplicateTicket = 0; // only the latest look-up's answer is shown

  // -- where --------------------------------------------------------------------------------
  const addressInput = input('text', { maxlength: 300, inputmode: 'search' });
  const address = field('call.address', addressInput, { hintKey: 'call.addressHint' });
  const search = addressSearch(addressInput, {
    onPick: (found) => {
      state.addressFromPin = false;
      placePin({ lat: found.lat, lon: found.lon }, { fromAddress: true });
    },
    onType: () => { state.addressFromPin = false; },
  });
  address.node.append(search.node);
  const mapBox = el('div', { class: 'map', id: 'call-map', tabindex: '0' });
  const pinText = el('p', { class: 'hint', role: 'status' }, text('call.pinHint'));
  const whereError = el('p', { class: 'field-error', hidden: true });
  const where = el('section', { 'aria-labelledby': 'call-where' },
    el('h2', { id: 'call-where' }, text('call.where')), address.node, mapBox, pinText,
    whereError);

  // -- what ---------------------------------------------------------------------------------
  const serviceSelect = el('select', { id: uniqueId('service'), required: true });
  const service = field('report.category', serviceSelect);
  const questionsBox = el('div', { class: 'questions' });
  const description = el('textarea', { id: uniqueId('description'), rows: 3,
    maxlength: config.max_description_chars });
  const describe = field('call.description', description, { hintKey: 'form.optional' });
  const what = el('section', { 'aria-labelledby': 'call-what' },
    el('h2', { id: 'call-what' }, text('report.what')), service.node, questionsBox,
    describe.node);

  // -- the caller ---------------------------------------------------------------------------
  const caller = {
    name: field('call.callerName', input('text', { maxlength: 120, autocomplete: 'off' })),
    phone: field('call.callerPhone', input('tel', { maxlength: 40, autocomplete: 'off',
      inputmode: 'tel' })),
    email: field('call.callerEmail', input('email', { maxlength: 254, autocomplete: 'off',
      inputmode: 'email' }), { hintKey: 'call.emailHint' }),
  };
  const languageSelect = el('select', { id: uniqueId('language') },
    ...CALLER_LANGUAGES.map((code) => el('option', { value: code }, t(`call.language_${code}`))));
  languageSelect.value = CALLER_LANGUAGES.includes(language()) ? language() : 'en';
  const callerBox = el('fieldset', { class: 'contact' },
    el('legend', {}, text('call.caller')), text('call.callerPrivate', {}, 'p'),
    caller.name.node, caller.phone.node, caller.email.node,
    el('div', { class: 'field' }, el('label', { for: languageSelect.id },
      text('call.callerLanguage')), languageSelect));

  // -- is it one of these? --------------------------------------------------------------------
  const duplicateList = el('ul', { class: 'cards', id: 'call-duplicates' });
  const duplicateStatus = el('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const duplicates = el('section', { 'aria-labelledby': 'call-dups', id: 'call-dup-section',
    hidden: true }, el('h2', { id: 'call-dups' }, text('call.duplicatesTitle')),
  text('call.duplicatesHint', {}, 'p'), duplicateStatus, duplicateList);

  // -- send ---------------------------------------------------------------------------------
  const summary = errorSummary();
  const sendButton = el('button', { type: 'submit', class: 'button primary send' },
    text('call.send'));
  const form = el('form', { class: 'report', novalidate: true }, where, what, duplicates,
    callerBox, summary, el('div', { class: 'actions' }, sendButton));
  const outcome = el('section', { class: 'outcome', tabindex: '-1', id: 'call-outcome',
    hidden: true });
  container.append(el('h1', {}, text('call.title')),
    el('p', {}, el('a', { href: '#/dispatch' }, text('call.backToDispatch'))), form, outcome);

  // -- the map and the nearest address --------------------------------------------------------
  const mapLabels = () => ({ map: t('call.mapLabel'), pin: t('report.pinLabel') });
  let map = null;
  let settingPin = false;
  function placePin(point, { fromAddress = false } = {}) {
    state.point = point;
    whereError.hidden = true;
    pinText.replaceChildren(text('report.pinAt', { lat: point.lat.toFixed(5),
      lon: point.lon.toFixed(5) }));
    if (map && fromAddress) {
      settingPin = true;
      map.setPin(point, { zoom: 17 });
      settingPin = false;
    }
    if (!fromAddress) fillNearestAddress(point);
    checkDuplicates();
  }
  try {
    map = await pinMap(mapBox, config.map, mapLabels());
    map.onPinMove((point) => { if (!settingPin) placePin(point); });
    cleanups.push(() => map.destroy());
  } catch {
    mapBox.replaceChildren(text('call.noMap', {}, 'p'));
  }
  cleanups.push(onLanguageChange(() => map?.relabel(mapLabels())));

  // A pin dropped by hand names its nearest address, unless the call-taker typed one.
  async function fillNearestAddress(point) {
    if (addressInput.value.trim() && !state.addressFromPin) return;
    try {
      const nearest = await call(`/api/v1/addresses/nearest?${new URLSearchParams({
        lat: point.lat.toFixed(6), lon: point.lon.toFixed(6), max_distance_m: NEAREST_WITHIN_M })}`);
      if (state.point !== point) return; // the pin moved on meanwhile
      addressInput.value = nearest.address.label;
      state.addressFromPin = true;
    } catch {
      if (state.addressFromPin) addressInput.value = '';
    }
  }

  // -- category and questions -----------------------------------------------------------------
  function chooseService() {
    const chosen = state.services.find((s) => s.code === serviceSelect.value);
    questionsBox.replaceChildren();
    state.questions = questionFields(questionsBox, chosen);
    checkDuplicates();
  }
  serviceSelect.addEventListener('change', chooseService);
  try {
    state.services = await call('/api/v1/services');
  } catch (error) {
    showError(error, service.error);
  }
  serviceSelect.append(el('option', { value: '' }, t('report.choose')),
    ...state.services.map((s) => el('option', { value: s.code }, s.name)));
  chooseService();

  // -- duplicates -----------------------------------------------------------------------------
  function checkDuplicates() {
    clearTimeout(duplicateTimer);
    if (!state.point) return;
    duplicateTimer = setTimeout(async () => {
      const ticket = ++duplicateTicket;
      try {
        const found = await findDuplicates({ ...state.point, service: serviceSelect.value,
          description: description.value });
        if (ticket !== duplicateTicket) return;
        duplicates.hidden = !found.length;
        duplicateList.replaceChildren(...duplicateCards(found, 'call.follow', follow));
      } catch {
        if (ticket === duplicateTicket) duplicates.hidden = true; // the form still works
      }
    }, DUPLICATE_WAIT_MS);
  }
  description.addEventListener('change', checkDuplicates);

  function callerContact() {
    const given = Object.fromEntries(Object.entries(caller)
      .map(([name, f]) => [name, f.control.value.trim()]));
    return Object.values(given).some(Boolean) ? { ...given, language: languageSelect.value }
      : null;
  }

  function checkCaller() {
    const problems = [];
    const email = caller.email.control.value.trim();
    const badEmail = email && !EMAIL.test(email) && { key: 'validation.email' };
    showProblem(caller.email, badEmail);
    if (badEmail) problems.push({ ...badEmail, focusTarget: caller.email.control });
    const badPhone = !PHONE.test(caller.phone.control.value.trim()) && { key: 'validation.phone' };
    showProblem(caller.phone, badPhone);
    if (badPhone) problems.push({ ...badPhone, focusTarget: caller.phone.control });
    return problems;
  }

  // "Me too" on the caller's behalf: their email (if any) gets the report's updates.
  async function follow(candidate, button) {
    const problems = checkCaller();
    if (problems.length) {
      problems[0].focusTarget.focus();
      return;
    }
    button.disabled = true;
    const contact = callerContact();
    try {
      const answer = await call(`/api/v1/requests/${encodeURIComponent(candidate.tracking)}/follow`,
        { method: 'POST', body: { email: contact?.email || '', language: languageSelect.value } });
      showOutcome(answer.tracking, answer.subscribed ? 'call.followedEmail' : 'call.followed');
    } catch (error) {
      showError(error, duplicateStatus);
      button.disabled = false;
    }
  }

  // -- send -----------------------------------------------------------------------------------
  function validate() {
    const problems = [];
    if (!state.point && !addressInput.value.trim()) {
      whereError.replaceChildren(text('call.whereMissing'));
      whereError.hidden = false;
      problems.push({ key: 'call.whereMissing', focusTarget: addressInput });
    }
    const noService = !serviceSelect.value && { key: 'validation.category' };
    showProblem(service, noService);
    if (noService) problems.push({ ...noService, focusTarget: serviceSelect });
    if (state.questions) problems.push(...state.questions.validate());
    return [...problems, ...checkCaller()];
  }

  function body() {
    const contact = callerContact();
    return {
      service_code: serviceSelect.value,
      ...(state.point ? { lat: Number(state.point.lat.toFixed(6)),
        lon: Number(state.point.lon.toFixed(6)) } : {}),
      address: addressInput.value.trim(),
      description: description.value.trim(),
      attributes: state.questions ? state.questions.answers() : {},
      channel: 'phone',
      ...(contact ? { contact } : {}),
    };
  }

  form.addEventListener('input', () => { state.key = null; }); // changed: a new report
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!passesChecks(summary, validate())) return;
    sendButton.disabled = true;
    state.key ??= crypto.randomUUID(); // pressing Send again after a failure is a replay
    try {
      const made = await call('/api/v1/requests', { method: 'POST', body: body(),
        headers: { 'Idempotency-Key': state.key } });
      showOutcome(made.tracking, 'call.sent');
    } catch (error) {
      showSummary(summary, errorNode(error, 'p'));
      if (error instanceof ApiError && error.status === 401) signInAgain();
    } finally {
      sendButton.disabled = false;
    }
  });

  function showError(error, where) {
    if (error instanceof ApiError && error.status === 401) {
      signInAgain();
      return;
    }
    where.replaceChildren(errorNode(error, 'span'));
    where.hidden = false;
  }

  function signInAgain() {
    setStaff(null);
    go('signin', 'call');
  }

  function showOutcome(tracking, titleKey) {
    search.close();
    form.hidden = true;
    outcome.hidden = false;
    outcome.replaceChildren(el('h2', {}, text(titleKey)),
      el('p', {}, text('call.readOut')), trackingReadout(tracking),
      el('p', {}, el('a', { href: `#/track/${encodeURIComponent(tracking)}`, class: 'button' },
        text('call.openTracking'))),
      el('p', {}, el('a', { href: '#/call', class: 'button primary',
        onclick: (e) => { e.preventDefault(); refresh({ focus: true }); } },
      text('call.another'))));
    outcome.focus();
  }

  return () => { clearTimeout(duplicateTimer); search.close(); cleanups.forEach((fn) => fn()); };
}
