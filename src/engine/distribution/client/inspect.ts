/**
 * `GET /distribution/{name}/json` (docker manifest inspect's engine half, and buildx): the
 * descriptor a reference resolves to on its registry, and the platforms it offers — an index's
 * entries, or the config's platform for a single manifest.
 */
import { sha256 } from '../../../core/digest.js';
import { InvalidArgument } from '../../../core/errors.js';
import type { Platform } from '../../images/platforms.js';
import type { Reference } from '../../images/references.js';
import type { Descriptor, ImageConfigBlob, ImageManifest } from '../../images/types.js';
import type { AuthConfig } from './auth.js';
import { DigestMismatch } from './errors.js';
import { kindOf } from './media-types.js';
import { RemoteRepository } from './remote.js';
import type { Distribution } from './service.js';

export interface DistributionInspect {
  Descriptor: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  Platforms: Array<Platform & { 'os.version'?: string; 'os.features'?: string[]; features?: string[] }>;
}

export async function inspectDistribution(dist: Distribution, ref: Reference, auth: AuthConfig | undefined, signal?: AbortSignal): Promise<DistributionInspect> {
  const creds = dist.credentials(ref.domain, auth);
  return dist.withEndpoints(ref.domain, creds, 'pull', signal, async (session) => {
    const repo = new RemoteRepository(session, ref.path, 'pull');
    const desc = await repo.resolve(ref.digest ?? ref.tag ?? 'latest', signal);
    const { bytes } = await repo.fetchManifest(desc.digest, signal);
    const out: DistributionInspect = { Descriptor: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, Platforms: [] };
    const kind = kindOf(desc.mediaType);
    if (kind === 'index') {
      const idx = JSON.parse(bytes.toString('utf8')) as { manifests?: Array<{ platform?: DistributionInspect['Platforms'][number] }> };
      for (const m of idx.manifests ?? []) if (m.platform) out.Platforms.push(m.platform);
    } else if (kind === 'manifest') {
      const man = JSON.parse(bytes.toString('utf8')) as ImageManifest;
      const { stream } = await repo.fetchBlob(man.config.digest, signal);
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      const cfgBytes = Buffer.concat(parts);
      if (sha256(cfgBytes) !== man.config.digest) throw new DigestMismatch(`config verification failed for digest ${man.config.digest}`);
      const cfg = JSON.parse(cfgBytes.toString('utf8')) as ImageConfigBlob & { 'os.version'?: string };
      out.Platforms.push({ architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}), ...(cfg['os.version'] ? { 'os.version': cfg['os.version'] } : {}) });
    } else {
      throw new InvalidArgument(`unsupported manifest media type: ${desc.mediaType}`);
    }
    return out;
  });
}
