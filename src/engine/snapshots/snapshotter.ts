/**
 * Snapshotters, as containerd's (core/snapshots/snapshotter.go).
 *
 * Lifecycle: `prepare(key, parent)` makes an *active* snapshot, a writable tree on top of the
 * committed snapshot `parent` (or empty). Its Mount[] are mounted to work on it (unpack a layer,
 * run a container). `commit(name, key)` turns an active snapshot into a read-only *committed* one
 * called `name` that other snapshots can use as parent; the key is gone afterwards. `view(key,
 * parent)` is a read-only active snapshot (cannot be committed). `remove(key)` deletes any snapshot
 * without children. Committed layer snapshots are named by chain ID, so identical layer stacks are
 * unpacked once and shared between images.
 */
import type { Mount } from './mount.js';

export type Kind = 'active' | 'view' | 'committed';

export interface SnapshotInfo {
  kind: Kind;
  /** The key (active/view) or the name (committed). */
  name: string;
  parent?: string;
  labels: Record<string, string>;
  /** unix ms */
  created: number;
  updated: number;
}

export interface Usage {
  /** Bytes of the snapshot's own data (not its parents'). */
  size: number;
  inodes: number;
}

export interface Snapshotter {
  stat(key: string): Promise<SnapshotInfo>;
  usage(key: string): Promise<Usage>;
  mounts(key: string): Promise<Mount[]>;
  prepare(key: string, parent: string | null, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  view(key: string, parent: string | null, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  commit(name: string, key: string, opts?: { labels?: Record<string, string> }): Promise<void>;
  remove(key: string): Promise<void>;
  walk(): Promise<SnapshotInfo[]>;
}

/** A snapshotter whose snapshots are plain directories (overlay), so layers apply into them directly. */
export interface DirSnapshotter extends Snapshotter {
  /** The snapshot's own directory (an active snapshot's upper dir). */
  dir(key: string): Promise<string>;
  /** Own dirs of the snapshot's ancestors, nearest first. */
  parentDirs(key: string): Promise<string[]>;
}

/** A layer unpacked into a scratch directory, to become the committed snapshot `name` on `parent`. */
export interface Adoption {
  name: string;
  parent: string | null;
  /** What scratch() gave, its `fs` filled. */
  scratch: string;
  labels?: Record<string, string>;
}

/**
 * Layers unpacked side by side before their parents exist (a pull's layers arrive in parallel):
 * each into a scratch directory of its own, then adopted as committed snapshots in order. A
 * layer's own directory never depends on its parents' (whiteouts are character devices, opaque
 * directories an xattr), so this is the same as unpacking on top of each parent in turn.
 */
export interface LayerAdopter {
  /** An empty directory with an empty `fs` inside, on the snapshotter's filesystem (gone at the next open if never adopted). */
  scratch(): Promise<string>;
  /**
   * Makes filled scratch directories committed snapshots, in the order given (a parent may be
   * one given before it), with one metadata write. A name that exists already keeps what it
   * has (its scratch is removed): answers, per item, whether it was adopted.
   */
  adopt(items: readonly Adoption[]): Promise<boolean[]>;
}
