/** docker inspect: JSON arrays indented by 4 (HTML-escaped as Go's encoder does) or --format. */
import { ApiError } from './client.js';
import type { Query } from './client.js';
import type { Ctx } from './command.js';
import { enc, println, readAll } from './command.js';
import { StatusError } from './flags.js';
import { compile } from './listing.js';
import { TemplateError } from './template.js';

/** container, image, or another object type docker inspects through /<type>s/<name>. */
export type Kind = string;

/** Go's json.Indent (json.Compact with no indent): the text's own strings and numbers, kept as written. */
export function indentRawJSON(raw: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  const newline = (): string => (indent ? `\n${indent.repeat(depth)}` : '');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += newline();
    }
    if (c === '"') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
      out += raw.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      out += c;
      needIndent = true;
    } else if (c === '}' || c === ']') {
      if (needIndent) needIndent = false;
      else {
        depth--;
        out += newline();
      }
      out += c;
    } else if (c === ',') out += `,${newline()}`;
    else if (c === ':') out += indent ? ': ' : ':';
    else out += c;
  }
  return out;
}

/**
 * docker's templates see its typed structs, where a field the JSON left out (omitempty) is still
 * there with its zero value: these put such fields back, per kind, before a template reads them.
 */
const zeroFields: Record<string, (o: Record<string, unknown>) => void> = {
  network(n) {
    const ipam = n.IPAM as { Config?: Array<Record<string, unknown>> | null } | undefined;
    for (const c of ipam?.Config ?? []) {
      for (const k of ['Subnet', 'IPRange', 'Gateway']) c[k] ??= '';
    }
    n.Peers ??= [];
    n.Services ??= {};
  },
  container(c) {
    // docker 28's EndpointSettings has GwPriority, which engines below API 1.48 do not send.
    const nets = (c.NetworkSettings as { Networks?: Record<string, Record<string, unknown> | null> } | undefined)?.Networks;
    for (const ep of Object.values(nets ?? {})) if (ep) ep.GwPriority ??= 0;
  },
};

/** An object as the engine sent it: parsed for templates, raw for docker's indented output. */
export async function fetchObject(ctx: Ctx, kind: Kind, name: string, size: boolean, query?: Query): Promise<{ obj: unknown; raw: string }> {
  const path =
    kind === 'container' ? `/containers/${enc(name)}/json` : kind === 'image' ? `/images/${enc(name)}/json` : kind === 'plugin' ? `/plugins/${enc(name)}/json` : `/${kind}s/${enc(name)}`;
  const res = await ctx.client().stream('GET', path, { query: kind === 'container' ? { size: size || undefined, ...query } : query });
  const raw = (await readAll(res)).toString('utf8').trim();
  return { obj: JSON.parse(raw) as unknown, raw };
}

/**
 * Inspects names, trying each kind in order; prints the result; failures end with exit 1, worded
 * by `missing` when nothing was found (docker's generic inspect) or as the daemon's error.
 */
export async function inspectAll(ctx: Ctx, names: string[], kinds: Kind[], format: string, size: boolean, missing?: (name: string) => string, query?: Query): Promise<number> {
  const raws: string[] = [];
  const tmpl = format && format !== 'json' ? compile(format, 'template parsing error: ', 64) : undefined;
  // errors in the order of the names, a template's failure on an element among them, as docker's inspect.Inspect
  const errors: string[] = [];
  let text = '';
  for (const name of names) {
    let obj: unknown;
    let lastErr: unknown;
    for (const kind of kinds) {
      try {
        const r = await fetchObject(ctx, kind, name, size, query);
        obj = r.obj;
        if (obj && typeof obj === 'object') zeroFields[kind]?.(obj as Record<string, unknown>);
        raws.push(r.raw);
        break;
      } catch (e) {
        lastErr = e;
        if (!(e instanceof ApiError && e.status === 404)) break;
      }
    }
    if (obj === undefined) {
      if (lastErr instanceof ApiError && lastErr.status === 404 && missing) errors.push(missing(name));
      else if (lastErr instanceof ApiError) errors.push(lastErr.display);
      else throw lastErr;
    } else if (tmpl) {
      try {
        text += `${tmpl.execute(obj, { missingKeyError: true })}\n`;
      } catch (e) {
        if (e instanceof TemplateError) errors.push(`template parsing error: ${e.goMessage}`);
        else throw e;
      }
    }
  }
  if (format === 'json') {
    // docker's JSON inspector: the engine's objects as one compact array
    println(ctx.out, raws.length ? indentRawJSON(`[${raws.join(',')}]`, '') : '[]');
  } else if (tmpl) {
    // docker's TemplateInspector: a parse error exits 64; an empty line when nothing was printed
    ctx.out.write(text || '\n');
  } else {
    println(ctx.out, raws.length ? indentRawJSON(`[${raws.join(',')}]`) : '[]');
  }
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
  return 0;
}
