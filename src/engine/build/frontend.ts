/**
 * The Dockerfile frontend the engine builds with: the parser module (./dockerfile) behind the
 * small interface the builder uses. Expansion uses the file's own escape token.
 */
import { expandCommand, parseCommand, parseDockerfile, parseStages, ShellLex } from './dockerfile/index.js';
import type { Frontend } from './builder.js';
import type { ArgCommand, Stage } from './instructions.js';

export interface ParsedDockerfile {
  metaArgs: ArgCommand[];
  stages: Stage[];
  frontend: Frontend;
}

function envOf(list: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** Throws DockerfileError (`Dockerfile:7: unknown instruction: RNU`) for what does not parse. */
export function parseForBuild(text: string, file = 'Dockerfile'): ParsedDockerfile {
  const result = parseDockerfile(text, { file });
  const { metaArgs, stages } = parseStages(result);
  const lex = new ShellLex(result.escapeToken);
  const frontend: Frontend = {
    expand: (cmd, env) => expandCommand(cmd, lex, envOf(env), { file }),
    expandWord: (word, env) => lex.processWord(word, envOf(env)),
    parseTriggers: (lines) => {
      const r = parseDockerfile(lines.join('\n'), { file: `${file} (ONBUILD)` });
      return r.nodes.map((n) => parseCommand(n, file));
    },
  };
  return { metaArgs, stages, frontend };
}
