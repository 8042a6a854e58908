import { execFile } from 'node:child_process';
import { chmod, chown, readdir, stat, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SystemError, messageOf } from '../../core/errors.js';

const run = promisify(execFile);

/**
 * Docker's copy-up: an empty volume mounted over a directory of the image is first filled with
 * that directory's content, and takes its owner, mode and times; a volume holding anything is
 * left as it is. `cp -a` keeps owners, modes, times, links, xattrs and special files.
 */
export async function copyUp(from: string, volumeDir: string): Promise<void> {
  const src = await stat(from).catch(() => undefined);
  if (!src?.isDirectory()) return;
  if ((await readdir(volumeDir)).length > 0) return;
  if ((await readdir(from)).length > 0) {
    try {
      await run('cp', ['-a', '--', `${from}/.`, `${volumeDir}/`], { maxBuffer: 1 << 20 });
    } catch (err) {
      const detail = (err as { stderr?: string }).stderr?.trim() || messageOf(err);
      throw new SystemError(`failed to populate volume: ${detail}`, { cause: err });
    }
  }
  await chown(volumeDir, src.uid, src.gid);
  await chmod(volumeDir, src.mode & 0o7777);
  await utimes(volumeDir, src.atime, src.mtime);
}
