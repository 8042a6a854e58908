import { InvalidArgument } from '../../core/errors.js';

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

/** Normalises a signal as docker accepts it (`KILL`, `SIGKILL`, `9`, `SIGRTMIN+3`) to its name for runc. */
export function parseSignal(s: string): string {
  const up = s.toUpperCase();
  if (/^\d+$/.test(up)) {
    const n = Number(up);
    if (n < 1 || n > 64) throw new InvalidArgument(`Invalid signal: ${s}`);
    return String(n);
  }
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  if (SIGNALS[name] !== undefined) return name;
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) return String((rt[1] === 'IN' ? 34 : 64) + Number(rt[2] ?? 0));
  throw new InvalidArgument(`Invalid signal: ${s}`);
}

export function signalNumber(name: string): number {
  return /^\d+$/.test(name) ? Number(name) : SIGNALS[name]!;
}
