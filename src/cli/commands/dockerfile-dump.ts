import { readFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { readAll } from '../command.js';
import { StatusError } from '../flags.js';

/**
 * `minke dockerfile dump [FILE|-]`: the parse tree as BuildKit's parser test files print it.
 * Errors go to stderr as `FILE:LINE: message`, exit 1.
 */
export const command: Command = {
  spec: {
    name: 'dockerfile dump',
    usage: '[FILE|-]',
    description: 'Print the parse tree of a Dockerfile (default ./Dockerfile, - for standard input)',
    flags: [],
    maxArgs: 1,
  },
  async run(ctx, p) {
    const name = p.args[0] ?? 'Dockerfile';
    const { decodeUtf8, dumpTree, DockerfileError, encodeUtf8, parseDockerfile } = await import('../../engine/build/dockerfile/index.js');
    let data: Buffer;
    try {
      data = name === '-' ? await readAll(ctx.in) : await readFile(name);
    } catch (e) {
      throw new StatusError(`open ${name}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, 1);
    }
    try {
      const tree = dumpTree(parseDockerfile(decodeUtf8(data), { file: name }));
      ctx.out.write(encodeUtf8(tree));
      return 0;
    } catch (e) {
      if (e instanceof DockerfileError) throw new StatusError(e.message, 1);
      throw e;
    }
  },
};
