import type { Digest } from '../../core/digest.js';

/** OCI descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` section of an image config: the defaults a container inherits. */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
}

/** The container config docker kept in images it committed: the runtime config and the container's own fields. */
export interface LegacyContainerConfig extends ImageRuntimeConfig {
  Hostname?: string;
  Domainname?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Image?: string;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** OCI image config (application/vnd.oci.image.config.v1+json), docker's extra fields allowed. */
export interface ImageConfigBlob {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  comment?: string;
  container?: string;
  /** The committed container's config (docker's legacy builder and commit wrote it). */
  container_config?: LegacyContainerConfig;
  docker_version?: string;
}

/** An image as the engine knows it: the ID is the config digest, as docker's. */
export interface Image {
  id: Digest;
  /** The manifest the image was stored or loaded with. */
  manifestDigest: Digest;
  config: ImageConfigBlob;
  /** Layer blobs in order (compressed or not), matching config.rootfs.diff_ids. */
  layers: Descriptor[];
  /** Normalised references, e.g. docker.io/library/busybox:latest. */
  repoTags: string[];
  /** name@sha256:... for images pulled from or pushed to a registry. */
  repoDigests: string[];
  /** Sum of the uncompressed layer sizes. */
  size: number;
  /** Chain ID of the top layer: the snapshot a container's rootfs is prepared from (null for no layers). */
  chainId: Digest | null;
  /** When the image was stored here (unix ms), for `images --filter since/before` and ordering. */
  storedAt: number;
  /** The image this one was committed/built from locally (docker's Parent), if any. */
  parent?: Digest;
  /** Uncompressed size of each layer, matching config.rootfs.diff_ids (for history). */
  layerSizes?: number[];
  /** Last time a tag was added here (unix ms): inspect's Metadata.LastTagTime. */
  lastTagTime?: number;
}

/** OCI image manifest (application/vnd.oci.image.manifest.v1+json) or docker v2 schema 2. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;
