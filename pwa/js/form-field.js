// A labelled form field with its hint and its error message, wired for screen readers.

import { el, markInvalid, uniqueId } from './dom.js';
import { text } from './i18n.js';

/** {node, control, error}: the control labelled by labelKey, with an optional hint. */
export function field(labelKey, control, { hintKey } = {}) {
  const hint = hintKey ? text(hintKey, {}, 'p') : null;
  if (hint) {
    hint.id = uniqueId('hint');
    hint.className = 'hint';
    control.setAttribute('aria-describedby', hint.id);
  }
  const error = el('p', { class: 'field-error', id: uniqueId('err'), hidden: true });
  control.setAttribute('aria-describedby',
    [control.getAttribute('aria-describedby'), error.id].filter(Boolean).join(' '));
  return { node: el('div', { class: 'field' }, el('label', { for: control.id }, text(labelKey)),
    hint, control, error), control, error };
}

/** Show (or clear, with null) a field's problem {key, vars}. */
export function showProblem(f, problem) {
  f.error.replaceChildren(problem ? text(problem.key, problem.vars) : '');
  f.error.hidden = !problem;
  markInvalid(f.control, Boolean(problem));
}

/** A form's error summary, hidden until there is something to say. */
export function errorSummary() {
  return el('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
}

/** Show `content` in the summary and move focus there, so a screen reader reads it out. */
export function showSummary(summary, content) {
  summary.replaceChildren(content);
  summary.hidden = false;
  summary.focus();
}

/** True when there are no problems; otherwise the summary counts them. */
export function passesChecks(summary, problems) {
  const count = problems.length;
  summary.hidden = count === 0;
  if (count) showSummary(summary, text('validation.summary', { count }, 'p'));
  return count === 0;
}

export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
export const PHONE = /^[0-9+()\-. ]{0,40}$/;
