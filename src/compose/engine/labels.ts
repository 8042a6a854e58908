/** The labels docker compose puts on what it makes, so compose (any compose) finds its projects. */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  version: 'com.docker.compose.version',
  dependsOn: 'com.docker.compose.depends_on',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  image: 'com.docker.compose.image',
  replace: 'com.docker.compose.replace',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  slug: 'com.docker.compose.slug',
} as const;

/** The label filter of a project's objects. */
export function projectFilter(project: string, more: string[] = []): string {
  return JSON.stringify({ label: [`${LABEL.project}=${project}`, ...more] });
}
