// Source rules that keep the app safe by construction; run by scripts/web_test.sh.
//  - no HTML parsing sinks (innerHTML, outerHTML, insertAdjacentHTML,
//    document.write, DOMParser) and no eval / new Function / string timers;
//  - no inline script or style in index.html, no third-party URL in any source;
//  - both dictionaries have the same keys (also enforced by the type checker).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
const problems = [];
const SINKS = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|eval\s*\(|new Function\b|setTimeout\(\s*['"`]|setInterval\(\s*['"`])/;

for (const f of walk(join(root, 'src'))) {
  const text = readFileSync(f, 'utf8');
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (SINKS.test(code) && !line.includes('static-check: allow')) problems.push(`${f}:${i + 1}: HTML/script sink: ${line.trim()}`);
    if (/https?:\/\/(?!localhost|127\.0\.0\.1)[a-z0-9.-]+/i.test(code) && !/www\.w3\.org/.test(code)) problems.push(`${f}:${i + 1}: third-party URL: ${line.trim()}`);
  });
}
const index = readFileSync(join(root, 'index.html'), 'utf8');
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(index)) problems.push('index.html: inline <script>');
if (/<style|\sstyle=/i.test(index)) problems.push('index.html: inline style');
if (/https?:\/\//i.test(index.replace(/http-equiv/g, ''))) problems.push('index.html: an absolute URL (third-party request?)');

const i18n = readFileSync(join(root, 'src/i18n.ts'), 'utf8');
const block = (name) => {
  const start = i18n.indexOf(`const ${name}`);
  const end = i18n.indexOf('\n};', start);
  return new Set([...i18n.slice(start, end).matchAll(/^\s+([a-z0-9_]+):/gm)].map((m) => m[1]));
};
const en = block('en');
const de = block('de');
for (const k of en) if (!de.has(k)) problems.push(`i18n: "${k}" has no German text`);
for (const k of de) if (!en.has(k)) problems.push(`i18n: "${k}" has no English text`);

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`static checks: ok (${en.size} texts in German and English, no HTML sinks, no third-party URLs)`);
