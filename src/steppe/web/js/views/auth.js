// Sign in: phone → code → (new account: names) or (two-step password) → signed in.

import { httpCall } from '../api.js';
import { describe } from '../actions.js';
import { h, icon, replace } from '../dom.js';

function field(label, props) {
  const input = h('input', { class: 'field-input', placeholder: ' ', ...props });
  return { input, el: h('label', { class: 'field' }, input, h('span', { class: 'field-label', text: label })) };
}

function button(text, props = {}) {
  return h('button', { class: 'btn-primary', type: 'submit', ...props }, h('span', { text }));
}

/** Show the sign-in flow in `root`; `done(result)` gets auth.signIn's {token, user, authorization}. */
export function renderAuth(root, done) {
  const state = { phone: '', hash: '', hint: '' };
  const card = h('div', { class: 'auth-card' });
  replace(root, h('div', { class: 'auth' }, card));

  const busy = (form, on) => {
    form.classList.toggle('busy', on);
    for (const el of form.querySelectorAll('button, input')) el.disabled = on;
  };
  const fail = (errBox, err) => { errBox.textContent = describe(err); };

  function header(title, sub) {
    return [h('div', { class: 'auth-logo' }, icon('steppe')), h('h1', { text: title }),
      typeof sub === 'string' ? h('p', { class: 'auth-sub', text: sub }) : sub];
  }

  function phoneStep() {
    const phone = field('Phone number', { type: 'tel', autocomplete: 'tel', inputmode: 'tel', name: 'phone', value: state.phone || '+' });
    const err = h('div', { class: 'auth-error', role: 'alert' });
    const form = h('form', { class: 'auth-form', onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      busy(form, true);
      try {
        const sent = await httpCall('auth.sendCode', { phone: phone.input.value });
        state.phone = sent.phone;
        state.hash = sent.phone_code_hash;
        state.length = sent.length || 5;
        codeStep();
      } catch (error) {
        busy(form, false);
        fail(err, error);
        phone.input.focus();
      }
    } }, phone.el, err, button('Next'));
    replace(card, header('Sign in to Steppe', 'Please enter your phone number in international format.'), form);
    phone.input.focus();
  }

  function codeStep() {
    const code = field('Code', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', name: 'code', maxLength: 8 });
    const err = h('div', { class: 'auth-error', role: 'alert' });
    const submit = async () => {
      err.textContent = '';
      busy(form, true);
      try {
        const result = await httpCall('auth.signIn', { phone: state.phone, phone_code_hash: state.hash, code: code.input.value.trim() });
        if (result.sign_up_required) signUpStep();
        else done(result);
      } catch (error) {
        busy(form, false);
        if (error.type === 'SESSION_PASSWORD_NEEDED') {
          state.hint = error.hint;
          passwordStep();
          return;
        }
        fail(err, error);
        code.input.select();
      }
    };
    const form = h('form', { class: 'auth-form', onsubmit: (e) => { e.preventDefault(); submit(); } },
      code.el, err, button('Sign in'));
    code.input.addEventListener('input', () => {
      if (code.input.value.replace(/\D/g, '').length === state.length) submit();
    });
    const note = h('div', { class: 'auth-note' },
      icon('info'),
      h('div', {},
        h('p', {}, 'This server does not send SMS. In its default set-up the code is written to the ',
          h('b', { text: 'server log' }), ', as a line like:'),
        h('code', { text: `login code for ${state.phone}: 12345` }),
        h('p', {}, 'An operator can issue a fresh code with'),
        h('code', { text: `steppe admin login-code ${state.phone}` })));
    const sub = h('p', { class: 'auth-sub' }, 'We have sent a code to ', h('b', { text: state.phone }), '. ',
      h('a', { href: '#', text: 'Wrong number?', onclick: (e) => { e.preventDefault(); phoneStep(); } }));
    replace(card, header('Enter the code', sub), note, form);
    code.input.focus();
  }

  function signUpStep() {
    const first = field('First name (required)', { type: 'text', autocomplete: 'given-name', name: 'first_name', maxLength: 64 });
    const last = field('Last name (optional)', { type: 'text', autocomplete: 'family-name', name: 'last_name', maxLength: 64 });
    const err = h('div', { class: 'auth-error', role: 'alert' });
    const form = h('form', { class: 'auth-form', onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      busy(form, true);
      try {
        done(await httpCall('auth.signUp', { phone: state.phone, phone_code_hash: state.hash,
          first_name: first.input.value, last_name: last.input.value }));
      } catch (error) {
        busy(form, false);
        fail(err, error);
      }
    } }, first.el, last.el, err, button('Start messaging'));
    replace(card, header('Your name', 'This number has no account yet. Enter your name to create one.'), form);
    first.input.focus();
  }

  function passwordStep() {
    const pass = field('Password', { type: 'password', autocomplete: 'current-password', name: 'password' });
    const err = h('div', { class: 'auth-error', role: 'alert' });
    const form = h('form', { class: 'auth-form', onsubmit: async (e) => {
      e.preventDefault();
      err.textContent = '';
      busy(form, true);
      try {
        done(await httpCall('auth.checkPassword', { phone: state.phone, phone_code_hash: state.hash, password: pass.input.value }));
      } catch (error) {
        busy(form, false);
        fail(err, error);
        pass.input.select();
      }
    } }, pass.el, state.hint ? h('p', { class: 'auth-hint' }, 'Hint: ', h('span', { text: state.hint })) : null,
    err, button('Next'));
    replace(card, header('Enter your password', 'Your account is protected with an additional password.'), form);
    pass.input.focus();
  }

  phoneStep();
}
