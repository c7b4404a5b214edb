// "Is it one of these?": open reports near a point, most likely the same problem first, each
// with a button to follow it instead of filing a new one.

import { getJSON } from './api.js';
import { el } from './dom.js';
import { t, text } from './i18n.js';

/** Candidates from /api/v1/requests/duplicates for {lat, lon, service, description}. */
export function findDuplicates({ lat, lon, service, description = '' }, limit = 5) {
  const query = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6), limit });
  if (service) query.set('service', service);
  if (description.trim()) query.set('description', description.trim().slice(0, 4000));
  return getJSON(`/api/v1/requests/duplicates?${query}`);
}

function distanceText(metres) {
  return metres < 1000 ? t('duplicates.metres', { metres: Math.round(metres) })
    : t('duplicates.km', { km: (metres / 1000).toFixed(1) });
}

/** One card per candidate; followLabel names the button; onFollow(candidate, button). */
export function duplicateCards(candidates, followLabel, onFollow) {
  return candidates.map((c) => el('li', { class: 'card duplicate', dataset: { tracking: c.tracking } },
    c.thumbnail_url ? el('img', { src: c.thumbnail_url, width: 72, height: 72, class: 'thumb',
      alt: t('duplicates.photoOf', { tracking: c.tracking }) }) : null,
    el('div', {},
      el('p', {}, el('strong', {}, c.service_name), ' ',
        el('span', { class: 'tracking small' }, c.tracking)),
      el('p', { class: 'hint' }, [t(`status.${c.status}`), distanceText(c.distance_m),
        c.supporters ? t('duplicates.supporters', { count: c.supporters }) : null]
        .filter(Boolean).join(' · ')),
      c.address ? el('p', {}, c.address) : null,
      c.description ? el('p', { class: 'hint' }, c.description) : null,
      el('button', { type: 'button', class: 'button small',
        onclick: (event) => onFollow(c, event.currentTarget) }, text(followLabel)))));
}
