/**
 * The Dockerfile frontend the engine builds with: the parser module (./dockerfile) behind the
 * small interface the builder and POST /build use. Undefined until that module is part of the
 * engine; POST /build then answers that building needs it.
 */
import type { DockerfileFrontend } from '../api/build.js';

export const dockerfileFrontend: DockerfileFrontend | undefined = undefined;
