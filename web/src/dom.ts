// The one way this app makes DOM: `h(tag, props, ...children)`.
//
// Escaping by construction: a string child becomes a Text node
// (`document.createTextNode`), attribute values go through
// `setAttribute`, and there is no way to pass markup. `innerHTML` and
// friends are refused here, and `tests/static_checks.mjs` fails the build
// when any source file mentions them. `style` is refused too: the Content
// Security Policy allows no inline style; use classes from styles.css.

export type Child = Node | string | number | null | undefined | false | Child[];

type Handler<E extends Event = Event> = (ev: E) => void;

export interface Props {
  class?: string;
  id?: string;
  for?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  title?: string;
  role?: string;
  href?: string;
  lang?: string;
  min?: string;
  max?: string;
  autocomplete?: string;
  inputmode?: string;
  scope?: string;
  colspan?: string;
  datetime?: string;
  step?: string;
  accept?: string;
  rows?: string;
  spellcheck?: string;
  checked?: boolean;
  disabled?: boolean;
  hidden?: boolean;
  required?: boolean;
  readonly?: boolean;
  selected?: boolean;
  multiple?: boolean;
  open?: boolean;
  tabindex?: string;
  onclick?: Handler<MouseEvent>;
  onchange?: Handler;
  oninput?: Handler;
  onsubmit?: Handler<SubmitEvent>;
  onkeydown?: Handler<KeyboardEvent>;
  [attr: `aria-${string}`]: string | undefined;
  [attr: `data-${string}`]: string | undefined;
}

const FORBIDDEN = new Set(['innerHTML', 'outerHTML', 'style', 'srcdoc']); // static-check: allow (the refusal list)
const PROPERTIES = new Set(['checked', 'disabled', 'hidden', 'required', 'readOnly', 'selected', 'multiple', 'open', 'value']);

export function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (FORBIDDEN.has(key)) throw new Error(`h(): "${key}" is not allowed`);
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value as EventListener);
      } else if (key === 'readonly') {
        (el as HTMLInputElement).readOnly = Boolean(value);
      } else if (PROPERTIES.has(key)) {
        (el as unknown as Record<string, unknown>)[key] = value;
      } else if (key === 'class') {
        el.className = String(value);
      } else if (key === 'for') {
        (el as HTMLLabelElement).htmlFor = String(value);
      } else if (typeof value === 'boolean') {
        if (value) el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  for (const c of children) append(el, c);
  return el;
}

/** Replaces all children of `el`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) append(el, c);
}

let seq = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = 'f'): string {
  seq += 1;
  return `${prefix}-${seq}`;
}
