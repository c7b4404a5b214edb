// A service's extra questions (Open311 attributes) as form fields, with the same checks the
// server makes (backend/services/attributes.py), so most mistakes are caught before sending.

import { el, markInvalid, uniqueId } from './dom.js';
import { text } from './i18n.js';

const MAX_STRING = 500;
const MAX_TEXT = 4000;

function blank(value) {
  return value === null || value === undefined || value === '' ||
    (Array.isArray(value) && value.length === 0);
}

/** The first problem with one answer, as {key, vars}, or null. Mirrors the server's rules. */
export function checkAnswer(question, value) {
  if (blank(value)) return question.required ? { key: 'validation.required' } : null;
  const keys = new Set((question.values || []).map((v) => v.key));
  switch (question.datatype) {
    case 'string':
      return value.length > MAX_STRING ? { key: 'validation.tooLong', vars: { max: MAX_STRING } } : null;
    case 'text':
      return value.length > MAX_TEXT ? { key: 'validation.tooLong', vars: { max: MAX_TEXT } } : null;
    case 'number':
      return Number.isFinite(Number(value)) ? null : { key: 'validation.number' };
    case 'datetime':
      return Number.isNaN(Date.parse(value)) ? { key: 'validation.datetime' } : null;
    case 'singlevaluelist':
      return keys.has(value) ? null : { key: 'validation.choice' };
    case 'multivaluelist':
      return value.every((v) => keys.has(v)) ? null : { key: 'validation.choice' };
    default:
      return null;
  }
}

function labelFor(question) {
  return [
    question.description,
    question.required ? text('form.required', {}, 'span') : text('form.optional', {}, 'span'),
  ];
}

function choiceField(question, multiple) {
  const name = uniqueId(`q-${question.code}`);
  const inputs = question.values.map((v) => el('input', {
    type: multiple ? 'checkbox' : 'radio', name, value: v.key, id: uniqueId('choice'),
  }));
  // aria-required belongs to a radio group; a set of checkboxes says "(required)" in words.
  const fieldset = el('fieldset', { class: 'choices', role: multiple ? false : 'radiogroup',
    'aria-required': question.required && !multiple ? 'true' : false },
    el('legend', {}, ...labelFor(question)),
    ...inputs.map((input, i) => el('label', { class: 'choice', for: input.id }, input,
      el('span', {}, question.values[i].name))));
  const value = () => {
    const picked = inputs.filter((i) => i.checked).map((i) => i.value);
    return multiple ? picked : picked[0] ?? '';
  };
  return { control: fieldset, focusTarget: inputs[0], value, described: fieldset };
}

function inputField(question) {
  const id = uniqueId(`q-${question.code}`);
  let control;
  if (question.datatype === 'text') {
    control = el('textarea', { id, rows: 3, maxlength: MAX_TEXT });
  } else if (question.datatype === 'number') {
    control = el('input', { id, type: 'number', step: 'any', inputmode: 'decimal' });
  } else if (question.datatype === 'datetime') {
    control = el('input', { id, type: 'datetime-local' });
  } else {
    control = el('input', { id, type: 'text', maxlength: MAX_STRING, autocomplete: 'off' });
  }
  if (question.required) control.setAttribute('aria-required', 'true');
  const value = () => {
    const raw = control.value.trim();
    if (question.datatype === 'datetime' && raw) {
      const when = new Date(raw);
      return Number.isNaN(when.getTime()) ? raw : when.toISOString();
    }
    if (question.datatype === 'number' && raw) return Number(raw);
    return raw;
  };
  const wrapper = el('div', { class: 'field' }, el('label', { for: id }, ...labelFor(question)), control);
  return { control: wrapper, focusTarget: control, value, described: control };
}

/**
 * Build the fields for a service's questions into `container`.
 * Returns {answers(), validate() → [{code, focusTarget, message node}]}.
 */
export function questionFields(container, service) {
  const questions = (service?.attributes || [])
    .filter((q) => q.variable !== false)
    .sort((a, b) => a.order - b.order);
  const fields = questions.map((question) => {
    const field = question.datatype === 'singlevaluelist' || question.datatype === 'multivaluelist'
      ? choiceField(question, question.datatype === 'multivaluelist')
      : inputField(question);
    const error = el('p', { class: 'field-error', id: uniqueId('err'), hidden: true });
    field.described.setAttribute('aria-describedby', error.id);
    container.append(el('div', { class: 'question' }, field.control, error));
    return { question, ...field, error };
  });
  return {
    answers() {
      const answers = {};
      for (const f of fields) {
        const value = f.value();
        if (!blank(value)) answers[f.question.code] = value;
      }
      return answers;
    },
    validate() {
      const problems = [];
      for (const f of fields) {
        const problem = checkAnswer(f.question, f.value());
        f.error.replaceChildren(problem ? text(problem.key, problem.vars) : '');
        f.error.hidden = !problem;
        markInvalid(f.described, Boolean(problem));
        if (problem) problems.push({ code: f.question.code, focusTarget: f.focusTarget, ...problem });
      }
      return problems;
    },
  };
}
