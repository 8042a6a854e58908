/** Runs one of the minke CLI's own commands (exec, cp, start -a) on a container compose found. */
import type { Command } from '../../cli/command.js';
import { checkArgs, parseFlags } from '../../cli/flags.js';
import type { ComposeCtx } from '../cli/context.js';

export async function delegate(c: ComposeCtx, load: () => Promise<{ command: Command }>, argv: string[]): Promise<number> {
  const { command } = await load();
  const parsed = parseFlags(command.spec, argv);
  checkArgs(command.spec, parsed);
  return command.run(c.cli, parsed);
}
