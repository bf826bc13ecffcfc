// The sending-limits editor (operator: a tenant's limits, ceilings and
// defaults; admin: a user's or a mailbox's own): six number inputs in a
// small grid, messages / recipients per minute, hour and day, reading and
// writing a LimitsView. Empty means no limit (of its own). Each input is
// named `<name>.<field>`, so a 422 whose detail names the field
// (`limits: messages_per_minute: 50 is above the ceiling of 30`) marks it.

import type { LimitsView } from '../api';
import { h, uid } from '../dom';
import { type Key, t } from '../i18n';

type LimitField = keyof LimitsView;

const ROWS: [string, Key][] = [
  ['messages', 'limits_messages'],
  ['recipients', 'limits_recipients'],
];
const COLUMNS: [string, Key][] = [
  ['minute', 'limits_per_minute'],
  ['hour', 'limits_per_hour'],
  ['day', 'limits_per_day'],
];

export const LIMIT_FIELDS: LimitField[] = ROWS.flatMap(([r]) => COLUMNS.map(([c]) => `${r}_per_${c}` as LimitField));

export interface LimitsEditor {
  el: HTMLFieldSetElement;
  /** Every field: a number, or null for an empty input. */
  value(): LimitsView;
}

/** What an unset field gets: the default where set, at most the ceiling (the API's rule). */
export function inheritedLimits(fallback: LimitsView | undefined, ceiling: LimitsView | undefined): LimitsView {
  const out: LimitsView = {};
  for (const f of LIMIT_FIELDS) {
    const d = fallback?.[f] ?? null;
    const c = ceiling?.[f] ?? null;
    out[f] = d !== null && c !== null ? Math.min(d, c) : (d ?? c);
  }
  return out;
}

/**
 * A fieldset titled `legend`; `inherited` (what applies when a field is
 * empty) is shown as the inputs' placeholders.
 */
export function limitsEditor(legend: string, name: string, value: LimitsView | null | undefined, opts: { hint?: string; inherited?: LimitsView } = {}): LimitsEditor {
  const id = uid('limits');
  const inputs = new Map<LimitField, HTMLInputElement>();
  // The visible row and column headers are for the eye; each input's name says both ("Messages per minute").
  const cells = ROWS.flatMap(([row, rowKey]) => [
    h('span', { class: 'limits-row', 'aria-hidden': 'true' }, t(rowKey)),
    COLUMNS.map(([col, colKey]) => {
      const field = `${row}_per_${col}` as LimitField;
      const current = value?.[field];
      const inherited = opts.inherited?.[field];
      const input = h('input', {
        type: 'number',
        name: `${name}.${field}`,
        value: current === null || current === undefined ? '' : String(current),
        min: '0',
        step: '1',
        inputmode: 'numeric',
        autocomplete: 'off',
        placeholder: inherited === null || inherited === undefined ? undefined : String(inherited),
        'aria-label': `${t(rowKey)} ${t(colKey)}`,
      });
      inputs.set(field, input);
      return input;
    }),
  ]);
  const hintId = opts.hint ? `${id}-hint` : undefined;
  const el = h(
    'fieldset',
    { class: 'group limits', 'aria-describedby': hintId, 'data-limits': name },
    h('legend', null, legend),
    h(
      'div',
      { class: 'limits-grid' },
      h('span', { class: 'limits-corner', 'aria-hidden': 'true' }),
      COLUMNS.map(([, key]) => h('span', { class: 'limits-col', 'aria-hidden': 'true' }, t(key))),
      cells,
    ),
    opts.hint ? h('p', { class: 'hint', id: hintId }, opts.hint) : null,
  );
  return {
    el,
    value() {
      const out: LimitsView = {};
      for (const [field, input] of inputs) {
        const v = input.value.trim();
        out[field] = v === '' ? null : Number(v);
      }
      return out;
    },
  };
}
