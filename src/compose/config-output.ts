/**
 * The project as `docker compose config` prints it: name, services (each without its name,
 * keys in order), networks, volumes, secrets, configs and the top-level extensions, in YAML or
 * JSON.
 */
import { stringify } from 'yaml';
import type { Dict, Project } from './model.js';

/** Keys sorted at every level of mappings (as Go prints its maps); entries of lists keep their order. */
function sortedKeys(o: Dict): Dict {
  const out: Dict = {};
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? sortedKeys(v as Dict) : v;
  }
  return out;
}

function sortedEntries<T>(o: Record<string, T>, each: (v: T) => unknown): Dict {
  const out: Dict = {};
  for (const k of Object.keys(o).sort()) out[k] = each(o[k]!);
  return out;
}

/** The printable model. */
export function configModel(p: Project): Dict {
  const out: Dict = { name: p.name };
  out.services = sortedEntries(p.services, (s) => {
    const { name: _name, ...rest } = s;
    return sortedKeys(rest);
  });
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    if (Object.keys(p[kind]).length) out[kind] = sortedEntries(p[kind] as Record<string, Dict>, sortedKeys);
  }
  for (const [k, v] of Object.entries(p.extensions)) out[k] = v;
  return out;
}

export function configText(p: Project, format: 'yaml' | 'json'): string {
  const m = configModel(p);
  if (format === 'json') return `${JSON.stringify(m, null, 2)}\n`;
  return stringify(m, { lineWidth: 0, aliasDuplicateObjects: false, nullStr: 'null' });
}
