/**
 * Which files make the project, and its name: `-f` (or COMPOSE_FILE), else compose.yaml,
 * compose.yml, docker-compose.yaml or docker-compose.yml in the working directory or the nearest
 * one above it, with its override file beside it; the name from `-p`, COMPOSE_PROJECT_NAME, the
 * files' `name`, or the project directory's name made valid.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export class ProjectError extends Error {
  override name = 'ProjectError';
}

export const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];

/** The default files found from dir upwards, with a warning when a directory holds several. */
export function findComposeFiles(dir: string, warn: (msg: string) => void): string[] {
  let d = path.resolve(dir);
  for (;;) {
    const found = CANDIDATES.filter((c) => existsSync(path.join(d, c)));
    if (found.length) {
      if (found.length > 1) warn(`Found multiple config files with supported names: ${found.map((f) => path.join(d, f)).join(', ')}\nUsing ${path.join(d, found[0]!)}`);
      const files = [path.join(d, found[0]!)];
      const override = OVERRIDES.find((o) => existsSync(path.join(d, o)));
      if (override) files.push(path.join(d, override));
      return files;
    }
    const up = path.dirname(d);
    if (up === d) throw new ProjectError('no configuration file provided: not found');
    d = up;
  }
}

const VALID_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** A directory name made a project name: lower case, only [a-z0-9_-], not starting with - or _. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

export function checkProjectName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw new ProjectError(`invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  }
  return name;
}
