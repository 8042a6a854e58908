/**
 * Work over the depends_on graph, in parallel where it allows: a service's action runs once its
 * dependencies' have (up), or once its dependents' have (down, reverse). The first failure stops
 * new work; what already runs finishes; the failure is thrown.
 */
import type { Service } from '../model.js';

export async function inDependencyOrder(services: Record<string, Service>, action: (name: string) => Promise<void>, reverse = false): Promise<void> {
  const names = Object.keys(services);
  const waitsOn = new Map<string, Set<string>>();
  for (const n of names) waitsOn.set(n, new Set());
  for (const n of names) {
    for (const d of Object.keys(services[n]!.depends_on ?? {})) {
      if (!services[d]) continue;
      if (reverse) waitsOn.get(d)!.add(n);
      else waitsOn.get(n)!.add(d);
    }
  }
  const done = new Set<string>();
  const started = new Set<string>();
  let failure: unknown;
  let failed = false;
  await new Promise<void>((resolve) => {
    let running = 0;
    const schedule = (): void => {
      if (!failed) {
        for (const n of names) {
          if (started.has(n) || [...waitsOn.get(n)!].some((d) => !done.has(d))) continue;
          started.add(n);
          running++;
          void action(n).then(
            () => {
              done.add(n);
            },
            (e: unknown) => {
              if (!failed) failure = e;
              failed = true;
            },
          ).finally(() => {
            running--;
            schedule();
          });
        }
      }
      if (running === 0) resolve();
    };
    schedule();
  });
  if (failed) throw failure;
  if (done.size < names.length) throw new Error(`dependency cycle among ${names.filter((n) => !done.has(n)).join(', ')}`);
}
