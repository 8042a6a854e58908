/** Names compose gives what it makes: `<project>-<service>-<n>` containers, `<project>-<service>` images. */
import type { Service } from '../model.js';

/** The image a service runs: its `image`, else the one its build makes. */
export function imageName(project: string, s: Service): string {
  return s.image ?? `${project}-${s.name}`;
}

/** A container's name: container_name, else `<project>-<service>-<number>`. */
export function containerName(project: string, s: Service, number: number): string {
  return s.container_name ?? `${project}-${s.name}-${number}`;
}

/** A one-off container's name (`compose run`): `<project>-<service>-run-<id>`. */
export function oneoffName(project: string, service: string, id: string): string {
  return `${project}-${service}-run-${id.slice(0, 12)}`;
}
