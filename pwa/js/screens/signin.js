// Staff sign-in (#/signin/<next screen>): username and password for a bearer token.

import { postJSON } from '../api.js';
import { el, uniqueId } from '../dom.js';
import { errorNode, text } from '../i18n.js';
import { go } from '../router.js';
import { isManager, setStaff, staff } from '../staff.js';

function field(labelKey, attrs) {
  const input = el('input', { id: uniqueId('signin'), required: true, ...attrs });
  return [el('div', { class: 'field' }, el('label', { for: input.id }, text(labelKey)), input),
    input];
}

export async function render(container, [next = 'dashboard']) {
  const [userField, username] = field('signin.username', { type: 'text', autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false' });
  const [passwordField, password] = field('signin.password', { type: 'password',
    autocomplete: 'current-password' });
  const outcome = el('div', { role: 'status', 'aria-live': 'polite' });
  const signOut = el('button', { type: 'button', class: 'button' }, text('signin.signOut'));
  signOut.addEventListener('click', () => { setStaff(null); go('report'); });
  const form = el('form', { class: 'lookup', novalidate: true }, userField, passwordField,
    el('button', { type: 'submit', class: 'button primary' }, text('signin.submit')));
  const member = staff();
  container.append(el('h1', {}, text('signin.title')),
    member ? el('p', {}, text('signin.signedInAs', { name: member.name || member.username }))
      : null,
    member && ['dashboard', 'dispatch', 'call'].includes(next) && !isManager(member)
      ? text('signin.notManager', {}, 'p') : null,
    member && ['crew', 'job'].includes(next) && member.role !== 'crew'
      ? text('signin.notCrew', {}, 'p') : null,
    member ? signOut : null, form, outcome);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      outcome.replaceChildren(text('signin.missing', {}, 'p'));
      return;
    }
    outcome.replaceChildren(text('signin.working', {}, 'p'));
    try {
      const answer = await postJSON('/api/v1/auth/login', { username: username.value.trim(),
        password: password.value });
      setStaff({ token: answer.token, expires_at: answer.expires_at, role: answer.user.role,
        username: answer.user.username, name: answer.user.display_name,
        crew: answer.user.crew });
      go(next);
    } catch (error) {
      const node = errorNode(error, 'p');
      node.className = 'field-error';
      outcome.replaceChildren(node);
    }
  });
}
