let known: string | undefined;

/** minke's own version, from package.json beside dist/ (read once; kept in the start-up snapshot). */
export function version(): string {
  if (known) return known;
  try {
    const pkg = JSON.parse(process.getBuiltinModule('node:fs').readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    known = pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
  return known;
}
