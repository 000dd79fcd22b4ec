// Form pieces shared by the screens: real <label>s, hints and errors tied with aria-describedby.
import {html, nothing} from 'lit-html';
import {t} from './i18n/index.js';

/**
 * A message made here rather than by the server: kept as its key, so it is shown in the language
 * chosen at render time (switching language re-renders the error too).
 */
export function localMsg(key) {
  return `@${key}`;
}

/** Messages for one field from an ApiError's errors (dotted names) or local checks. */
function errs(errors, name) {
  const list = errors?.[name];
  return list ? list.map((m) => (typeof m === 'string' && m.startsWith('@') ? t(m.slice(1)) : m)) : null;
}

function describedBy(id, hint, errors) {
  return [hint ? `${id}-hint` : '', errors ? `${id}-err` : ''].filter(Boolean).join(' ') || nothing;
}

function labelText(label, required) {
  return required ? label : html`${label} <span class="optional">${t('form.optional')}</span>`;
}

export function field({name, label, type = 'text', value = '', required = false, hint = '',
                       errors = null, autocomplete, inputmode, placeholder, maxlength, prefix = 'f',
                       autofocus = false}) {
  const id = `${prefix}-${name.replace(/\./g, '-')}`;
  const e = errs(errors, name);
  return html`<div class="field ${e ? 'invalid' : ''}">
    <label for=${id}>${labelText(label, required)}</label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
    <input id=${id} name=${name} type=${type} .value=${value ?? ''}
      ?required=${required} aria-invalid=${e ? 'true' : 'false'}
      aria-describedby=${describedBy(id, hint, e)}
      autocomplete=${autocomplete ?? nothing} inputmode=${inputmode ?? nothing}
      placeholder=${placeholder ?? nothing} maxlength=${maxlength ?? nothing}
      ?autofocus=${autofocus}>
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}

export function textarea({name, label, value = '', required = false, hint = '', errors = null,
                          rows = 3, prefix = 'f'}) {
  const id = `${prefix}-${name}`;
  const e = errs(errors, name);
  return html`<div class="field ${e ? 'invalid' : ''}">
    <label for=${id}>${labelText(label, required)}</label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
    <textarea id=${id} name=${name} rows=${rows} .value=${value ?? ''} ?required=${required}
      aria-invalid=${e ? 'true' : 'false'} aria-describedby=${describedBy(id, hint, e)}
      autocomplete="off" spellcheck="false"></textarea>
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}

/** A <select>; options are [{value, label}]. `onChange` gets the new value. */
export function select({name, label, options, value = '', required = false, errors = null,
                        placeholder = '', onChange, disabled = false, prefix = 'f', hint = ''}) {
  const id = `${prefix}-${name.replace(/\./g, '-')}`;
  const e = errs(errors, name);
  return html`<div class="field ${e ? 'invalid' : ''}">
    <label for=${id}>${labelText(label, required)}</label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
    <select id=${id} name=${name} ?required=${required} ?disabled=${disabled}
      aria-invalid=${e ? 'true' : 'false'} aria-describedby=${describedBy(id, hint, e)}
      @change=${onChange ? (ev) => onChange(ev.target.value) : nothing}>
      <option value="" .selected=${!value}>${placeholder}</option>
      ${options.map((o) => html`<option value=${o.value} .selected=${String(o.value) === String(value)}>${o.label}</option>`)}
    </select>
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}

/** A group of radio buttons in a fieldset with a legend. */
export function radios({name, legend, options, value = '', required = false, errors = null,
                        prefix = 'f'}) {
  const e = errs(errors, name);
  const errId = `${prefix}-${name}-err`;
  return html`<fieldset class="field radios ${e ? 'invalid' : ''}"
      aria-describedby=${e ? errId : nothing}>
    <legend>${labelText(legend, required)}</legend>
    ${options.map((o) => html`<label class="radio">
      <input type="radio" name=${name} value=${o.value} .checked=${String(o.value) === String(value)}
        ?required=${required} aria-invalid=${e ? 'true' : 'false'}>
      <span>${o.label}</span></label>`)}
    ${e ? html`<p class="field-error" id=${errId}>${e.join(' ')}</p>` : nothing}
  </fieldset>`;
}

export function checkbox({name, label, checked = false, hint = '', prefix = 'f'}) {
  const id = `${prefix}-${name}`;
  return html`<div class="field check">
    <label for=${id} class="radio"><input type="checkbox" id=${id} name=${name} .checked=${checked}
      aria-describedby=${hint ? `${id}-hint` : nothing}><span>${label}</span></label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
  </div>`;
}

/** A form's own error text for problems that are not about one field (shown above the button). */
export function formError(error) {
  if (!error) return nothing;
  const general = error.errors?._schema ?? [];
  const text = [error.title, error.detail, ...general].filter(Boolean)
    .filter((v, i, all) => all.indexOf(v) === i).join(' — ');
  return html`<div class="form-error" id="form-error"><p>${text}</p></div>`;
}

/** The plain values of a form, with empty strings for empty fields. */
export function formValues(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) out[k] = typeof v === 'string' ? v.trim() : v;
  for (const el of form.querySelectorAll('input[type=checkbox]')) out[el.name] = el.checked;
  return out;
}

/** Local checks before a round trip: the names of required fields left empty. */
export function missing(values, names) {
  const out = {};
  for (const n of names) if (!values[n]) out[n] = [localMsg('form.required')];
  return Object.keys(out).length ? out : null;
}

/** After a failed submit: move focus to the first invalid field, or to the form's error text. */
export function focusFirstError(root = document) {
  requestAnimationFrame(() => {
    const el = root.querySelector('[aria-invalid="true"]')
      ?? root.querySelector('.invalid input') ?? root.querySelector('#form-error');
    if (el) {
      if (!el.hasAttribute('tabindex') && el.id === 'form-error') el.setAttribute('tabindex', '-1');
      el.focus();
    }
  });
}

export function spinnerLabel(busy, idle, working) {
  return busy ? working : idle;
}
