import { sha256, type Digest } from '../../core/digest.js';

/** OCI chain IDs: chainID(L0) = diffID(L0), chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]!} ${d}`));
  return out;
}

export function chainId(diffIds: readonly Digest[]): Digest | null {
  const ids = chainIds(diffIds);
  return ids.length ? ids[ids.length - 1]! : null;
}

export function nextChainId(parent: Digest | null, diffId: Digest): Digest {
  return parent === null ? diffId : sha256(`${parent} ${diffId}`);
}
