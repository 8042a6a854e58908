import { InvalidArgument } from '../../core/errors.js';
import { PREDEFINED_NETWORKS, type EndpointConfig, type IpamPool, type NetworkRecord } from '../networks/model.js';
import type { NetworkCreateRequest, NetworkService } from '../networks/service.js';
import { labelMatch, normaliseFilters, type Filters } from './container-views.js';
import { parseTime } from './containers.js';
import type { Router } from './router.js';
import { networkListWithContainers } from './versions.js';
import { NETWORK_CONNECT, NETWORK_CREATE, NETWORK_DISCONNECT } from './body-types.js';

const LIST_FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

/** GET /networks/{id}: the record as docker shows it, with the containers attached now. */
export function networkView(svc: NetworkService, n: NetworkRecord, withContainers = true): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  if (withContainers) {
    for (const { rec, ep } of svc.endpointsOf(n)) {
      containers[rec.Id] = {
        Name: rec.Name.slice(1),
        EndpointID: ep.EndpointID,
        MacAddress: ep.actualMac ?? ep.MacAddress,
        IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '',
        IPv6Address: ep.GlobalIPv6Address ? `${ep.GlobalIPv6Address}/${ep.GlobalIPv6PrefixLen}` : '',
      };
    }
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv4: n.EnableIPv4,
    EnableIPv6: n.EnableIPv6,
    IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config.map(ipamPoolView) },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { Network: n.ConfigFrom?.Network ?? '' },
    ConfigOnly: n.ConfigOnly,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

/** A pool as dockerd shows it: what was configured; a gateway the engine took on a given subnet is not shown. */
function ipamPoolView({ gatewayImplied, ...pool }: IpamPool): Partial<IpamPool> {
  if (!gatewayImplied) return pool;
  const { Gateway: _taken, ...shown } = pool;
  return shown;
}

/** docker network ls --filter; `dangling` needs to know which networks containers use. */
export function networkFilter(filters: Filters, used: (n: NetworkRecord) => boolean): (n: NetworkRecord) => boolean {
  for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  for (const t of filters.type ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw new InvalidArgument(`invalid filter: 'type'='${t}'`);
  }
  for (const d of filters.dangling ?? []) {
    if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidArgument(`invalid filter 'dangling=${d}'`);
  }
  return (n) => {
    if (filters.driver && !filters.driver.includes(n.Driver)) return false;
    if (filters.id && !filters.id.some((p) => n.Id.startsWith(p))) return false;
    if (filters.name && !filters.name.some((p) => n.Name.includes(p))) return false;
    if (filters.scope && !filters.scope.includes(n.Scope)) return false;
    if (filters.label && !filters.label.every((l) => labelMatch(n.Labels, l))) return false;
    if (filters.type && !filters.type.includes(PREDEFINED_NETWORKS.has(n.Name) ? 'builtin' : 'custom')) return false;
    if (filters.dangling) {
      const want = filters.dangling[0] === 'true' || filters.dangling[0] === '1';
      if (PREDEFINED_NETWORKS.has(n.Name) || used(n) === want) return false;
    }
    return true;
  };
}

export function networkRoutes(r: Router, svc: NetworkService): void {
  r.on('GET', '/networks', (ctx) => {
    const referenced = svc.referenced();
    const match = networkFilter(normaliseFilters(ctx.jsonQuery('filters')), (n) => referenced.has(n.Id));
    ctx.send(200, svc.list().filter(match).map((n) => networkView(svc, n, networkListWithContainers(ctx.version))));
  });

  r.on('GET', '/networks/:id', (ctx) => {
    ctx.send(200, networkView(svc, svc.get(ctx.param('id'))));
  });

  r.on('POST', '/networks/create', async (ctx) => {
    const body = await ctx.bodyOf<NetworkCreateRequest>(NETWORK_CREATE);
    ctx.send(201, await svc.create(body));
  });

  r.on('DELETE', '/networks/:id', async (ctx) => {
    await svc.remove(ctx.param('id'));
    ctx.send(204);
  });

  r.on('POST', '/networks/prune', async (ctx) => {
    const filters = normaliseFilters(ctx.jsonQuery('filters'));
    for (const k of Object.keys(filters)) if (k !== 'until' && k !== 'label' && k !== 'label!') throw new InvalidArgument(`invalid filter '${k}'`);
    const until = filters.until?.[0] ? parseTime(filters.until[0]) : undefined;
    const deleted = await svc.prune((n) => {
      if (until !== undefined && Date.parse(n.Created) >= until) return false;
      if (filters.label && !filters.label.every((l) => labelMatch(n.Labels, l))) return false;
      if (filters['label!'] && filters['label!'].some((l) => labelMatch(n.Labels, l))) return false;
      return true;
    });
    ctx.send(200, { NetworksDeleted: deleted.length ? deleted : null });
  });

  r.on('POST', '/networks/:id/connect', async (ctx) => {
    const body = await ctx.bodyOf<{ Container: string; EndpointConfig: EndpointConfig }>(NETWORK_CONNECT);
    if (!body.Container) throw new InvalidArgument('no container specified');
    await svc.connect(ctx.param('id'), body.Container, body.EndpointConfig ?? {});
    ctx.send(200);
  });

  r.on('POST', '/networks/:id/disconnect', async (ctx) => {
    const body = await ctx.bodyOf<{ Container: string; Force: boolean }>(NETWORK_DISCONNECT);
    if (!body.Container) throw new InvalidArgument('no container specified');
    await svc.disconnect(ctx.param('id'), body.Container, body.Force ?? false);
    ctx.send(200);
  });
}
