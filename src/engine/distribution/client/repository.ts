/**
 * The registry client's interface: what a pull and a push need of one repository of a registry,
 * and nothing more. The HTTP implementation (remote.ts) follows the OCI distribution spec; the
 * shared test suite (testsuite.ts) holds it to that against any registry.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../../core/digest.js';
import type { Descriptor } from '../../images/types.js';

/** A blob's bytes as they arrive (not yet verified: the caller hashes them), and their length. */
export interface BlobStream {
  stream: Readable;
  /** Content-Length of the answer (-1 when the registry did not say). */
  size: number;
}

export interface ManifestBytes {
  mediaType: string;
  /** The exact bytes; their sha256 is the digest asked for (checked). */
  bytes: Buffer;
}

export interface PushBlobOptions {
  /** Upload in chunks of this size (PATCH with Content-Range), as a registry asking for chunks gets anyway. */
  chunkSize?: number;
  /** Bytes sent so far. */
  onProgress?: (sent: number) => void;
  signal?: AbortSignal;
}

/** The read half: all a pull needs. */
export interface RepositoryReader {
  /** Repository path on its registry (`library/busybox`, `x`). */
  readonly name: string;
  /** A tag or a digest to the descriptor of the manifest or index it names (NotFound-like RegistryError when absent). */
  resolve(reference: string, signal?: AbortSignal): Promise<Descriptor>;
  /** A manifest or index by digest, its bytes verified. */
  fetchManifest(digest: Digest, signal?: AbortSignal): Promise<ManifestBytes>;
  /** A blob by digest as a stream; the caller verifies it as it stores it. */
  fetchBlob(digest: Digest, signal?: AbortSignal): Promise<BlobStream>;
  /** HEAD: the blob's descriptor when the repository has it, else undefined. */
  statBlob(digest: Digest, signal?: AbortSignal): Promise<Descriptor | undefined>;
  /** Tags of the repository, every page. */
  listTags(signal?: AbortSignal): Promise<string[]>;
}

/** The write half: what a push adds. */
export interface RepositoryWriter {
  /** Uploads a blob of known digest and size; `open` gives its bytes (monolithic PUT, or chunks when asked). */
  pushBlob(desc: Pick<Descriptor, 'digest' | 'size'>, open: () => Promise<Readable> | Readable, opts?: PushBlobOptions): Promise<void>;
  /** Cross-repository mount from `from` (a path on the same registry); false when the registry did not mount it. */
  mountBlob(digest: Digest, from: string, signal?: AbortSignal): Promise<boolean>;
  /** PUT of a manifest under a tag or its digest; answers the digest. */
  pushManifest(reference: string, manifest: ManifestBytes, signal?: AbortSignal): Promise<Digest>;
}

export interface Repository extends RepositoryReader, RepositoryWriter {}

/** The media types a pull accepts, the first preferred (docker sends these). */
export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  // Asked for only to tell it apart and refuse it with docker's words.
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/json',
];
