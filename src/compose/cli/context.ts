/**
 * What a compose command runs with: the minke CLI's context (streams, environment, engine
 * client), compose's global flags, and the project loaded from them on first use.
 */
import { readFileSync } from 'node:fs';
import type { EngineClient } from '../../cli/client.js';
import type { Ctx } from '../../cli/command.js';
import type { CommandSpec, Parsed } from '../../cli/flags.js';
import type { Project } from '../model.js';
import { loadProject } from '../loader/project.js';
import { normalizeProjectName, findComposeFiles, checkProjectName } from '../loader/discovery.js';
import path from 'node:path';

export interface Globals {
  files: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles: string[];
  profiles: string[];
  /** auto, tty, plain, quiet, json */
  progress: string;
  /** never, always, auto */
  ansi: string;
}

export class ComposeCtx {
  private loaded: Project | undefined;
  private readonly warned = new Set<string>();
  constructor(
    readonly cli: Ctx,
    readonly g: Globals,
  ) {}

  get out(): Ctx['out'] {
    return this.cli.out;
  }

  get err(): Ctx['err'] {
    return this.cli.err;
  }

  client(): EngineClient {
    return this.cli.client();
  }

  /** A warning as compose prints it (logrus on stderr), each once. */
  warn(msg: string): void {
    if (this.warned.has(msg)) return;
    this.warned.add(msg);
    this.cli.err.write(`WARN[0000] ${msg}\n`);
  }

  /** The project of the files; services named on the command line have their profiles enabled. */
  project(services: string[] = []): Project {
    if (this.loaded) return this.loaded;
    const stdin = this.g.files.includes('-') ? readFileSync(0, 'utf8') : undefined;
    this.loaded = loadProject({
      files: this.g.files,
      projectName: this.g.projectName,
      projectDirectory: this.g.projectDirectory,
      envFiles: this.g.envFiles,
      profiles: this.g.profiles,
      services,
      env: this.cli.env,
      cwd: process.cwd(),
      stdin,
      warn: (m) => this.warn(m),
    });
    return this.loaded;
  }

  /**
   * The project's name without needing its files when -p or COMPOSE_PROJECT_NAME gives it
   * (`compose -p x down` works with no file), else from the files.
   */
  projectName(): string {
    if (this.g.projectName) return checkProjectName(this.g.projectName);
    const fromEnv = this.cli.env.COMPOSE_PROJECT_NAME;
    if (fromEnv) return checkProjectName(fromEnv);
    try {
      return this.project().name;
    } catch (e) {
      // no file at all: the directory's name, as compose does for down/ps/logs
      if ((e as Error).message.startsWith('no configuration file provided')) {
        try {
          findComposeFiles(process.cwd(), () => undefined);
        } catch {
          return normalizeProjectName(path.basename(this.g.projectDirectory ?? process.cwd()));
        }
      }
      throw e;
    }
  }

  /** Whether the project files can be loaded (commands that work by name alone try them). */
  tryProject(): Project | undefined {
    try {
      return this.project();
    } catch {
      return undefined;
    }
  }
}

export interface ComposeCommand {
  spec: CommandSpec;
  run(c: ComposeCtx, p: Parsed): Promise<number>;
}
