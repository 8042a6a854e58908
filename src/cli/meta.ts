/** minke's own version, from package.json beside dist/. */
export function version(): string {
  try {
    const pkg = JSON.parse(process.getBuiltinModule('node:fs').readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}
