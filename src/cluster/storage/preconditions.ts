import { ConflictError } from './errors.js';
import type { KeyValue, Preconditions, TryUpdate } from './interface.js';

/** The object's metadata.uid, or undefined when the value is not a JSON object with one. */
export function uidOf(value: Uint8Array): string | undefined {
  try {
    const doc: unknown = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
    if (typeof doc !== 'object' || doc === null) return undefined;
    const metadata = (doc as { metadata?: unknown }).metadata;
    if (typeof metadata !== 'object' || metadata === null) return undefined;
    const uid = (metadata as { uid?: unknown }).uid;
    return typeof uid === 'string' ? uid : undefined;
  } catch {
    return undefined;
  }
}

/** Throws ConflictError when current does not meet the preconditions. */
export function checkPreconditions(current: KeyValue, preconditions: Preconditions | undefined): void {
  if (preconditions === undefined) return;
  if (preconditions.revision !== undefined && preconditions.revision !== current.revision) {
    throw new ConflictError(current.key,
      `precondition failed: revision is ${current.revision}, expected ${preconditions.revision}`);
  }
  if (preconditions.uid !== undefined) {
    const uid = uidOf(current.value);
    if (uid !== preconditions.uid) {
      throw new ConflictError(current.key,
        `precondition failed: uid is ${uid ?? '(none)'}, expected ${preconditions.uid}`);
    }
  }
}

/**
 * One read-modify step of guaranteedUpdate: checks the preconditions on current and computes the
 * next value; undefined when it equals the current one (nothing to write, as Kubernetes skips).
 */
export async function nextValue(current: KeyValue, tryUpdate: TryUpdate, preconditions: Preconditions | undefined): Promise<Uint8Array | undefined> {
  checkPreconditions(current, preconditions);
  const next = await tryUpdate(current);
  return Buffer.from(next).equals(Buffer.from(current.value)) ? undefined : next;
}
