// Address type-ahead: an ARIA combobox over the city's address points (/api/v1/addresses).
// Arrow keys move through the suggestions, Enter takes one, Escape closes the list; what is
// typed stays the address when nothing is picked (the server matches it when it can).

import { getJSON } from './api.js';
import { el, uniqueId } from './dom.js';
import { t } from './i18n.js';

const MIN_CHARS = 3;
const WAIT_MS = 200;
const LIMIT = 8;

/**
 * Wire `input` (a text input) as a combobox. onPick({label, lat, lon}) when a suggestion is
 * taken; onType() when the text changes by hand. Returns {node (the list), close()}.
 */
export function addressSearch(input, { onPick, onType }) {
  const list = el('ul', { id: uniqueId('addresses'), role: 'listbox', class: 'suggestions',
    hidden: true });
  const status = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  Object.entries({ role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': list.id, autocomplete: 'off' }).forEach(([k, v]) => input.setAttribute(k, v));
  let found = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function show(items) {
    found = items;
    active = -1;
    input.removeAttribute('aria-activedescendant');
    list.replaceChildren(...items.map((item, index) => el('li', {
      id: `${list.id}-${index}`, role: 'option', 'aria-selected': 'false', class: 'suggestion',
      onmousedown: (event) => event.preventDefault(), // keep focus in the input
      onclick: () => pick(index),
    }, item.label)));
    list.hidden = !items.length;
    input.setAttribute('aria-expanded', String(items.length > 0));
    status.textContent = input.value.trim().length >= MIN_CHARS
      ? t('address.found', { count: items.length }) : '';
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', `${list.id}-${index}`);
      list.children[index].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  }

  function pick(index) {
    const item = found[index];
    if (!item) return;
    input.value = item.label;
    show([]);
    status.textContent = t('address.picked', { address: item.label });
    onPick(item);
  }

  async function lookUp() {
    const typed = input.value.trim();
    if (typed.length < MIN_CHARS) {
      show([]);
      return;
    }
    const ticket = ++asked;
    try {
      const answer = await getJSON(`/api/v1/addresses?${new URLSearchParams({ q: typed,
        limit: LIMIT })}`);
      if (ticket === asked) show(answer.map((s) => s.address));
    } catch {
      if (ticket === asked) show([]); // typing on works: the address is kept as text
    }
  }

  input.addEventListener('input', () => {
    onType?.();
    clearTimeout(timer);
    timer = setTimeout(lookUp, WAIT_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && found.length) {
      event.preventDefault();
      highlight((active + 1) % found.length);
    } else if (event.key === 'ArrowUp' && found.length) {
      event.preventDefault();
      highlight(active <= 0 ? found.length - 1 : active - 1);
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      pick(active);
    } else if (event.key === 'Escape' && !list.hidden) {
      event.preventDefault();
      show([]);
    }
  });
  input.addEventListener('blur', () => setTimeout(() => show([]), 150));
  return { node: el('div', { class: 'combo' }, list, status),
    close: () => { clearTimeout(timer); show([]); } };
}
