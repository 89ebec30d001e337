/** The self-contained page: inline CSS and SVG, no script, no external resource. */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export type Cell = string | number | null | undefined;

/** A table; numbers are shown as given (format them before), null/undefined as '-'. */
export function table(header: string[], rows: Cell[][], className = ''): string {
  const cell = (value: Cell, tag: 'td' | 'th') =>
    `<${tag}${typeof value === 'number' ? ' class="num"' : ''}>${value === null || value === undefined ? '-' : escapeHtml(String(value))}</${tag}>`;
  return [
    `<table${className ? ` class="${className}"` : ''}>`,
    `<thead><tr>${header.map((h) => cell(h, 'th')).join('')}</tr></thead>`,
    `<tbody>${rows.map((row) => `<tr>${row.map((value) => cell(value, 'td')).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
}

export const pct = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value)
    ? '-'
    : `${(100 * value).toFixed(1)}%`;

export function section(title: string, body: string, className = ''): string {
  return `<section${className ? ` class="${className}"` : ''}><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

export function figure(content: string, caption: string, className = ''): string {
  return `<figure${className ? ` class="${className}"` : ''}>${content}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

const CSS = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
header { background: #263238; color: #eceff1; padding: 14px 24px; }
header h1 { margin: 0 0 6px; font-size: 20px; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 13px; }
header dt { color: #b0bec5; }
header dd { margin: 0; font-family: monospace; word-break: break-all; }
main { padding: 8px 24px 32px; }
section { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; margin: 16px 0; padding: 8px 16px 14px; }
section section { border: none; padding: 0; margin: 10px 0; }
h2 { font-size: 17px; margin: 8px 0; }
section section h2 { font-size: 15px; }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #555; max-width: 420px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e6e6e6; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #666; font-size: 12.5px; }
.legend { font-size: 12px; color: #444; }
.swatch { display: inline-block; width: 11px; height: 11px; border: 1px solid #333; margin: 0 3px 0 8px; vertical-align: -1px; }
svg.genome-graph text { font: 10px Helvetica, Arial, sans-serif; fill: #fff; pointer-events: none; }
svg.genome-graph g.node rect { filter: drop-shadow(0 1px 1px rgba(0,0,0,.25)); }
`;

export interface PageHeader {
  title: string;
  fields: [string, string][];
}

export function page(header: PageHeader, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script, no external resource: the page opens from disk and makes no request.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(header.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<header><h1>${escapeHtml(header.title)}</h1><dl>${header.fields.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></header>`,
    `<main>${body}</main>`,
    '</body></html>',
    '',
  ].join('\n');
}
