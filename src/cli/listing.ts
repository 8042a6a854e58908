/**
 * docker's formatter.Context: `table` / `table TEMPLATE` / `json` / `TEMPLATE`, rows rendered by
 * the Go template, table headers from the same template over the header names, tabwriter output.
 */
import { tabwrite } from './format.js';
import { Template, TemplateError } from './template.js';
import { StatusError } from './flags.js';

export interface ListFormat {
  /** the --format value ("" for the default) */
  format: string;
  /** default table body (without the "table " prefix) */
  table: string;
  /** format for -q */
  quiet?: string;
  quietMode?: boolean;
  /** field → column header ("ID" → "CONTAINER ID") */
  headers: Record<string, string>;
}

export function isTable(f: ListFormat): boolean {
  if (f.quietMode && (f.format === '' || f.format === 'table')) return false;
  return f.format === '' || f.format.startsWith('table');
}

function body(f: ListFormat): string {
  let s = f.format;
  if (f.quietMode && (s === '' || s === 'table')) s = f.quiet ?? '{{.ID}}';
  else if (s === '' || s === 'table') s = f.table;
  else if (s.startsWith('table')) s = s.slice('table'.length);
  else if (s === 'json') s = '{{json .}}';
  // docker trims blanks only: a template's own last newline stays (network ls's raw format ends in one)
  return s.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Parses a --format template; a bad one ends the command as docker's formatter does. */
export function compile(src: string, prefix = 'template parsing error: ', code = 1): Template {
  try {
    return new Template(src);
  } catch (e) {
    throw new StatusError(`${prefix}${e instanceof TemplateError ? e.goMessage : (e as Error).message}`, code);
  }
}

/** Renders rows; returns the whole output text. */
export function renderList(f: ListFormat, rows: object[]): string {
  const tmpl = compile(body(f));
  let text = '';
  try {
    for (const r of rows) text += `${tmpl.execute(r)}\n`;
    if (isTable(f)) {
      const header = tmpl.execute(f.headers, { header: true });
      return tabwrite(`${header}\n${text}`);
    }
  } catch (e) {
    if (e instanceof TemplateError) throw new StatusError(`template parsing error: ${e.goMessage}`, 1);
    throw e;
  }
  return text;
}

/** Plain data: every enumerable getter of a row object, keys sorted, as docker's MarshalJSON. */
export function marshalFields(obj: object, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of [...fields].sort()) out[k] = (obj as Record<string, unknown>)[k];
  return out;
}
