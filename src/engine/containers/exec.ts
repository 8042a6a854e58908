import { Conflict, InvalidArgument, NotFound, messageOf } from '../../core/errors.js';
import { startFailureExitCode } from '../runtime/conmon.js';
import { newId } from '../../core/ids.js';
import { mergeEnv } from './create-config.js';
import { containerEnv } from '../runtime/spec.js';
import type { ExecProcess } from './ports.js';
import type { ContainerService } from './service.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  process?: ExecProcess;
  /** Resolves when the process has ended and its exit code is recorded. */
  done?: Promise<void>;
}

/** Exec sessions: docker's create (record) then start (run) of extra processes in a container. */
export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly containers: ContainerService) {
    containers.on('event', (e) => {
      // As dockerd: a container's exec instances go when its process does.
      if (e.action === 'destroy' || e.action === 'die') {
        for (const [id, s] of this.sessions) if (s.containerId === e.rec.Id) this.sessions.delete(id);
      }
    });
  }

  create(containerRef: string, config: ExecConfig): string {
    const rec = this.containers.get(containerRef);
    if (!rec.State.Running) throw new Conflict(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new Conflict(`Container ${containerRef} is paused, unpause the container before exec`);
    if (rec.State.Restarting) throw new Conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    if (!config.Cmd || config.Cmd.length === 0) throw new InvalidArgument('No exec command specified');
    const id = newId();
    this.sessions.set(id, { id, containerId: rec.Id, config, running: false, exitCode: null, pid: 0 });
    this.containers.emit('event', { action: `exec_create: ${config.Cmd.join(' ')}`, rec, attributes: { execID: id } });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw new NotFound(`No such exec instance: ${id}`);
    return s;
  }

  /** The container's ExecIDs as docker lists them: sessions not ended yet (ended ones stay inspectable). */
  idsOf(containerId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId && s.exitCode === null).map((s) => s.id);
  }

  /** Starts the process; the caller wires its streams (or not, when detached). */
  async start(id: string, tty?: boolean): Promise<ExecProcess> {
    const s = this.get(id);
    if (s.running || s.exitCode !== null) throw new Conflict(`Error: Exec command ${id} has already run`);
    const rec = this.containers.get(s.containerId);
    if (!rec.State.Running) throw new Conflict(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new Conflict(`container ${rec.Id} is paused, unpause the container before exec`);
    if (rec.State.Restarting) throw new Conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    s.running = true;
    const c = s.config;
    let proc: ExecProcess;
    try {
      proc = await this.containers.runtime.exec(rec.Id, this.containers.bundleDir(rec.Id), {
        args: c.Cmd!,
        // As docker's exec: the daemon's defaults (PATH, HOSTNAME, TERM), the container's env, then the exec's.
        env: containerEnv(mergeEnv([...this.containers.linkVariables(rec), ...(rec.Config.Env ?? [])], c.Env ?? []), rec.Config.Hostname ?? '', tty ?? c.Tty ?? false),
        cwd: c.WorkingDir || rec.Config.WorkingDir || '/',
        user: c.User || rec.Config.User || '',
        groupAdd: rec.HostConfig.GroupAdd ?? [],
        tty: tty ?? c.Tty ?? false,
        stdin: c.AttachStdin ?? false,
        privileged: c.Privileged ?? false,
        consoleSize: c.ConsoleSize ?? undefined,
      });
    } catch (err) {
      s.running = false;
      // Paused meanwhile (a commit pauses it): refused as a start on a paused container is, and still startable.
      if (/cannot exec in a paused container/.test(messageOf(err))) throw new Conflict(`container ${rec.Id} is paused, unpause the container before exec`, { cause: err });
      // As newest moby: 127 for a command not found, else 126 (EACCES, or any failure to start);
      // dockerd 20.10 wrote 126 over the 127 its translateContainerdStartErr had set.
      s.exitCode = startFailureExitCode(messageOf(err)) === 127 ? 127 : 126;
      if (startFailureExitCode(messageOf(err)) !== 128) throw new InvalidArgument(messageOf(err), { cause: err });
      throw err;
    }
    s.process = proc;
    s.pid = proc.pid;
    this.containers.emit('event', { action: `exec_start: ${c.Cmd!.join(' ')}`, rec, attributes: { execID: id } });
    s.done = proc.exit.then(
      (code) => {
        s.exitCode = code;
        s.running = false;
        this.containers.emit('event', { action: 'exec_die', rec, attributes: { execID: id, exitCode: String(code) } });
      },
      () => {
        s.exitCode = 126;
        s.running = false;
      },
    );
    return proc;
  }

  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    const c = s.config;
    return {
      CanRemove: false,
      ContainerID: s.containerId,
      DetachKeys: c.DetachKeys ?? '',
      ExitCode: s.exitCode,
      ID: s.id,
      OpenStderr: c.AttachStderr ?? false,
      OpenStdin: c.AttachStdin ?? false,
      OpenStdout: c.AttachStdout ?? false,
      ProcessConfig: {
        arguments: (c.Cmd ?? []).slice(1),
        entrypoint: c.Cmd?.[0] ?? '',
        privileged: c.Privileged ?? false,
        tty: c.Tty ?? false,
        ...(c.User ? { user: c.User } : {}),
      },
      Running: s.running,
      Pid: s.pid,
    };
  }
}
