/**
 * Features minke does not have, answered as dockerd answers while they are unused, so that
 * clients probing for them (the docker CLI, docker-py's test fixtures) get the answer they handle:
 * - swarm mode: dockerd outside a swarm, 503 "not a swarm manager" / "not part of a swarm";
 *   creating or joining a swarm is refused as not implemented;
 * - plugins: none installed;
 * - what needs a registry or BuildKit (search, login, distribution inspect, a BuildKit session
 *   ...): a 501 that says so, rather than "page not found".
 */
import { NotImplemented, Unavailable } from '../../core/errors.js';
import type { Router } from './router.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const NOT_IN_SWARM = 'This node is not part of a swarm';

export function absentFeatureRoutes(r: Router): void {
  const notManager = (): never => {
    throw new Unavailable(NOT_MANAGER);
  };
  r.on('GET', '/swarm', notManager);
  r.on('GET', '/swarm/unlockkey', notManager);
  r.on('POST', '/swarm/update', notManager);
  r.on('POST', '/swarm/unlock', notManager);
  r.on('POST', '/swarm/leave', () => {
    throw new Unavailable(NOT_IN_SWARM);
  });
  for (const what of ['init', 'join']) {
    r.on('POST', `/swarm/${what}`, () => {
      throw new NotImplemented('swarm mode is not supported by minke');
    });
  }
  for (const kind of ['services', 'nodes', 'tasks', 'secrets', 'configs']) {
    r.on('GET', `/${kind}`, notManager);
    r.on('GET', `/${kind}/:id`, notManager);
    r.on('POST', `/${kind}/create`, notManager);
    r.on('DELETE', `/${kind}/:id`, notManager);
  }
  r.on('GET', '/plugins', (ctx) => ctx.send(200, []));
  const notYet = (what: string) => (): never => {
    throw new NotImplemented(`${what} is not supported by minke yet`);
  };
  r.on('GET', '/images/search', notYet('searching a registry'));
  r.on('POST', '/auth', notYet('logging in to a registry'));
  r.on('GET', '/distribution/*', notYet('inspecting an image in a registry'));
  r.on('POST', '/session', notYet('a BuildKit session'));
}
