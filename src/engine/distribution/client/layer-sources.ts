/**
 * What the engine knows of its layers' compressed forms (dockerd's v2 metadata service): for a
 * diff ID, the blobs that hold it compressed (digest, size, media type) and the repositories
 * known to have each (pulled from, pushed to). A push reads it to HEAD the right digest, to
 * mount from a sibling repository, or to send a blob it compressed before instead of
 * compressing again. Kept in one JSON file, written atomically.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../../core/digest.js';
import { isErrno } from '../../../core/errors.js';
import { writeJsonAtomic } from '../../../core/fs-atomic.js';
import { Mutex } from '../../images/mutex.js';

export interface LayerSource {
  digest: Digest;
  size: number;
  mediaType: string;
  /** Full repository names (`localhost:5000/x`, `docker.io/library/busybox`) known to hold the blob. */
  repos: string[];
}

type State = Record<string, LayerSource[]>;

const MAX_REPOS = 16;

export class LayerSources {
  private readonly lock = new Mutex();

  private constructor(private readonly file: string, private state: State) {}

  static async open(dir: string): Promise<LayerSources> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'layer-sources.json');
    let state: State = {};
    try {
      state = JSON.parse(await readFile(file, 'utf8')) as State;
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
    }
    return new LayerSources(file, state);
  }

  /** The known compressed forms of a layer. */
  get(diffId: Digest): LayerSource[] {
    return structuredClone(this.state[diffId] ?? []);
  }

  /** Records that `repo` (a full name, or undefined for the local store only) holds `blob` for `diffId`. */
  add(diffId: Digest, blob: Omit<LayerSource, 'repos'>, repo?: string): Promise<void> {
    return this.addAll([{ diffId, blob }], repo);
  }

  /** Several at once (one write): a pulled image's layers. */
  addAll(entries: ReadonlyArray<{ diffId: Digest; blob: Omit<LayerSource, 'repos'> }>, repo?: string): Promise<void> {
    return this.change((st) => {
      for (const { diffId, blob } of entries) {
        const list = st[diffId] ??= [];
        let s = list.find((x) => x.digest === blob.digest);
        if (!s) {
          s = { ...blob, repos: [] };
          list.push(s);
        }
        if (repo) s.repos = [repo, ...s.repos.filter((r) => r !== repo)].slice(0, MAX_REPOS);
      }
    });
  }

  /** Forgets that `repo` holds the blob (a HEAD found it gone). */
  forget(diffId: Digest, digest: Digest, repo: string): Promise<void> {
    return this.change((st) => {
      const s = st[diffId]?.find((x) => x.digest === digest);
      if (s) s.repos = s.repos.filter((r) => r !== repo);
    });
  }

  private change(fn: (st: State) => void): Promise<void> {
    return this.lock.run(async () => {
      const draft = structuredClone(this.state);
      fn(draft);
      await writeJsonAtomic(this.file, draft);
      this.state = draft;
    });
  }
}
