/**
 * Live OOM notices. conmon watches the container's memory cgroup itself (cgroup v1: an eventfd on
 * memory.oom_control, which fires on every OOM of the cgroup, also one that only stalls it under
 * oom_kill_disable; v2: memory.events) and at each OOM creates the file `oom` in its working
 * directory, the bundle. Watching that directory (inotify) gives the event as containerd's
 * TaskOOM gives it to dockerd; the file is removed at each notice, so the next OOM creates it anew.
 */
import { existsSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface OomWatch {
  /** Stops watching, after a last look for a notice not reported yet (call before the bundle goes). */
  stop(): void;
}

export function watchOom(bundleDir: string, onOom: () => void): OomWatch {
  const file = join(bundleDir, 'oom');
  const take = (): void => {
    if (!existsSync(file)) return;
    rmSync(file, { force: true });
    onOom();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(bundleDir, { persistent: false }, (_type, name) => {
      if (name === 'oom') take();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // the bundle is gone already: the container exited
  }
  take(); // an OOM before the watch began
  return {
    stop: () => {
      take();
      watcher?.close();
    },
  };
}
