// A tracking number as a call-taker reads it out: two groups of four, letters with the
// international spelling alphabet (the numbers never hold 0/O, 1/I/L or U, so nothing else
// can be misheard as them).

import { el } from './dom.js';
import { t } from './i18n.js';

const ALPHABET = { A: 'Alfa', B: 'Bravo', C: 'Charlie', D: 'Delta', E: 'Echo', F: 'Foxtrot',
  G: 'Golf', H: 'Hotel', J: 'Juliett', K: 'Kilo', M: 'Mike', N: 'November', P: 'Papa',
  Q: 'Quebec', R: 'Romeo', S: 'Sierra', T: 'Tango', V: 'Victor', W: 'Whiskey', X: 'X-ray',
  Y: 'Yankee', Z: 'Zulu' };

function spokenCharacter(c) {
  return ALPHABET[c] ? t('spell.letter', { letter: c, word: ALPHABET[c] })
    : t('spell.digit', { digit: c });
}

/** The number in large type and, below it, each group spelled out. */
export function trackingReadout(tracking) {
  const groups = tracking.split('-');
  return el('div', { class: 'readout' },
    el('p', { class: 'tracking', id: 'tracking-number' }, tracking),
    el('p', {}, t('spell.readAs')),
    el('ol', { class: 'spelling' }, ...groups.map((group, index) => el('li', {},
      t(index === 0 ? 'spell.firstGroup' : 'spell.secondGroup', {
        characters: [...group].map(spokenCharacter).join(', ') })))));
}
