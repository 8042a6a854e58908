/** docker's opts.ParseEnvFile / ReadKVStrings, shared by run, create and exec. */

/** opts.ParseEnvFile / ReadKVStrings: KEY=VALUE lines, comments skipped, bare KEY from our env. */
export function readKVFile(file: string, env: NodeJS.ProcessEnv, fromEnv: boolean): string[] {
  let text: string;
  try {
    text = process.getBuiltinModule('node:fs').readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    out.push(fromEnv ? envValue(line, env) : line);
  }
  return out;
}

export function envValue(e: string, env: NodeJS.ProcessEnv): string {
  if (e.includes('=')) return e;
  const v = env[e];
  return v === undefined ? e : `${e}=${v}`;
}
