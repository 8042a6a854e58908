/** Where the peer test data lives (../shared/peer beside the repository), for the tests. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this module that holds package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the module');
    dir = up;
  }
  return dir;
}

/** A peer data set's directory, or a skip reason when it is missing. */
export function peerDir(name: string): { dir: string; skip?: undefined } | { dir?: undefined; skip: string } {
  const dir = path.resolve(repoRoot(), '../shared/peer', name);
  return existsSync(dir) ? { dir } : { skip: `peer data ${dir} is missing` };
}
