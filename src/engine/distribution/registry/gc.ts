/**
 * `minke registry gc`: mark every blob a manifest of any repository refers to, then sweep the
 * blobs nothing marked (distribution's `registry garbage-collect`, with its wording). It is a dry
 * run unless asked to delete, as a first look should be. It is safe beside a server pushing to
 * the same root: a blob pushed (or mounted) is spared for a grace period, long enough for the
 * manifest that refers to it to follow, and each blob's age is read again just before it goes.
 */
import { tryParseDigest, type ParsedDigest } from './names.js';
import { RegistryStorage } from './storage/storage.js';

export interface GcOptions {
  root: string;
  dryRun: boolean;
  /** Also remove manifests that no tag reaches (through indexes, or as referrers of one that is). */
  deleteUntagged: boolean;
  graceMs: number;
  out: (line: string) => void;
  now?: () => number;
}

export interface GcResult {
  marked: string[];
  blobsEligible: string[];
  manifestsEligible: { repo: string; digest: string }[];
  /** Unmarked blobs spared because they are younger than the grace period. */
  spared: string[];
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h`, `90s`, `1h30m`, `0`) in milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
}

interface ManifestLinks {
  blobs: ParsedDigest[];
  children: ParsedDigest[];
  subject?: string;
}

/** What a stored manifest refers to; nothing when its body is gone or unreadable. */
async function linksOf(storage: RegistryStorage, d: ParsedDigest): Promise<ManifestLinks> {
  const out: ManifestLinks = { blobs: [], children: [] };
  let m: { config?: { digest?: unknown }; layers?: { digest?: unknown }[]; manifests?: { digest?: unknown }[]; subject?: { digest?: unknown } };
  try {
    m = JSON.parse((await storage.blobs.read(d)).toString('utf8')) as typeof m;
  } catch {
    return out;
  }
  const digestOf = (x: { digest?: unknown } | undefined): ParsedDigest | undefined => (typeof x?.digest === 'string' ? tryParseDigest(x.digest) : undefined);
  for (const b of [m.config, ...(Array.isArray(m.layers) ? m.layers : [])]) {
    const bd = digestOf(b);
    if (bd) out.blobs.push(bd);
  }
  for (const c of Array.isArray(m.manifests) ? m.manifests : []) {
    const cd = digestOf(c);
    if (cd) out.children.push(cd);
  }
  const s = digestOf(m.subject);
  if (s) out.subject = s.digest;
  return out;
}

export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const now = opts.now ?? Date.now;
  // Opened without clearing tmp/ or uploads/: a server may be writing to this root right now.
  const storage = await RegistryStorage.attach(opts.root);
  const { repos, blobs } = storage;
  const marked = new Set<string>();
  const manifestsEligible: { repo: string; digest: string }[] = [];
  for (const repo of await repos.names()) {
    opts.out(repo);
    const revisions = await repos.revisions(repo);
    const links = new Map<string, ManifestLinks>();
    for (const d of revisions) links.set(d.digest, await linksOf(storage, d));
    let keep = new Set(revisions.map((d) => d.digest));
    if (opts.deleteUntagged) {
      keep = new Set([...(await repos.tagMap(repo)).values()].filter((d) => links.has(d)));
      // Children of what is kept, and referrers of what is kept, until nothing changes.
      for (let grew = true; grew; ) {
        grew = false;
        for (const [d, l] of links) {
          const reached = keep.has(d) ? l.children.map((c) => c.digest).filter((c) => links.has(c) && !keep.has(c)) : [];
          if (!keep.has(d) && l.subject !== undefined && keep.has(l.subject)) reached.push(d);
          for (const r of reached) keep.add(r);
          if (reached.length) grew = true;
        }
      }
      for (const d of revisions) if (!keep.has(d.digest)) manifestsEligible.push({ repo, digest: d.digest });
    }
    for (const d of revisions) {
      if (!keep.has(d.digest)) continue;
      opts.out(`${repo}: marking manifest ${d.digest} `);
      marked.add(d.digest);
      for (const b of links.get(d.digest)!.blobs) {
        opts.out(`${repo}: marking blob ${b.digest}`);
        marked.add(b.digest);
      }
    }
  }
  const blobsEligible: string[] = [];
  const spared: string[] = [];
  for await (const b of blobs.walk()) {
    if (marked.has(b.digest)) continue;
    if (now() - b.mtimeMs < opts.graceMs) spared.push(b.digest);
    else blobsEligible.push(b.digest);
  }
  opts.out(`\n${marked.size} blobs marked, ${blobsEligible.length} blobs and ${manifestsEligible.length} manifests eligible for deletion`);
  if (spared.length) opts.out(`${spared.length} unreferenced blobs spared: written or mounted within the grace period`);
  for (const m of manifestsEligible) {
    opts.out(`manifest eligible for deletion: ${m.repo}@${m.digest}`);
    if (opts.dryRun) continue;
    const d = tryParseDigest(m.digest)!;
    for (const [t, digest] of await repos.tagMap(m.repo)) if (digest === m.digest) await repos.deleteTag(m.repo, t);
    const rev = await repos.revision(m.repo, d);
    await repos.deleteRevision(m.repo, d);
    const subject = rev?.subject === undefined ? undefined : tryParseDigest(rev.subject);
    if (subject) await repos.removeReferrer(m.repo, subject, d);
  }
  const deleted = new Set<string>();
  for (const digest of blobsEligible) {
    opts.out(`blob eligible for deletion: ${digest}`);
    if (opts.dryRun) continue;
    const d = tryParseDigest(digest)!;
    // Read again: a push may have written or mounted it since the sweep looked.
    const st = await blobs.stat(d);
    if (!st || now() - st.mtimeMs < opts.graceMs) continue;
    opts.out(`Deleting blob: ${blobs.path(d)}`);
    if (await blobs.delete(d)) deleted.add(digest);
  }
  if (deleted.size) {
    for (const repo of await repos.names()) {
      for (const l of await repos.layers(repo)) if (deleted.has(l.digest)) await repos.unlinkBlob(repo, l);
    }
  }
  if (opts.dryRun && (blobsEligible.length || manifestsEligible.length)) opts.out('dry run: nothing was deleted (run with --delete to delete)');
  return { marked: [...marked].sort(), blobsEligible, manifestsEligible, spared };
}
