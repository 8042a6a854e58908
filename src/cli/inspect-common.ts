/** docker inspect: JSON arrays indented by 4 (HTML-escaped as Go's encoder does) or --format. */
import { ApiError } from './client.js';
import type { Ctx } from './command.js';
import { enc, println } from './command.js';
import { StatusError } from './flags.js';
import { compile } from './listing.js';
import { TemplateError } from './template.js';

/** container, image, or another object type docker inspects through /<type>s/<name>. */
export type Kind = string;

export function goIndentJSON(v: unknown): string {
  return JSON.stringify(v, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export async function fetchObject(ctx: Ctx, kind: Kind, name: string, size: boolean): Promise<unknown> {
  if (kind === 'container') return ctx.client().get(`/containers/${enc(name)}/json`, { size: size || undefined });
  if (kind === 'image') return ctx.client().get(`/images/${enc(name)}/json`);
  if (kind === 'plugin') return ctx.client().get(`/plugins/${enc(name)}/json`);
  return ctx.client().get(`/${kind}s/${enc(name)}`);
}

/**
 * Inspects names, trying each kind in order; prints the result; failures end with exit 1, worded
 * by `missing` when nothing was found (docker's generic inspect) or as the daemon's error.
 */
export async function inspectAll(ctx: Ctx, names: string[], kinds: Kind[], format: string, size: boolean, missing?: (name: string) => string): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    let obj: unknown;
    let lastErr: unknown;
    for (const kind of kinds) {
      try {
        obj = await fetchObject(ctx, kind, name, size);
        break;
      } catch (e) {
        lastErr = e;
        if (!(e instanceof ApiError && e.status === 404)) break;
      }
    }
    if (obj !== undefined) found.push(obj);
    else if (lastErr instanceof ApiError && lastErr.status === 404 && missing) errors.push(missing(name));
    else if (lastErr instanceof ApiError) errors.push(lastErr.display);
    else throw lastErr;
  }
  if (format) {
    const f = format === 'json' ? '{{json .}}' : format;
    const tmpl = compile(f);
    // docker's TemplateInspector.Flush: an empty line when nothing was printed
    if (!found.length) println(ctx.out);
    for (const o of found) {
      try {
        println(ctx.out, tmpl.execute(o));
      } catch (e) {
        if (e instanceof TemplateError) throw new StatusError(`template: :1: executing "" at <${f}>: ${e.message}`, 1);
        throw e;
      }
    }
  } else {
    println(ctx.out, found.length ? goIndentJSON(found) : '[]');
  }
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
  return 0;
}
