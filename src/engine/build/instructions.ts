/** The instructions the builder dispatches: the parser's typed commands and stages. */
export type { ArgCommand, Command, KeyValue, Stage } from './dockerfile/index.js';
import type { ArgCommand } from './dockerfile/index.js';

/** One ARG definition (`ARG K=V` or `ARG K`). */
export type ArgDef = ArgCommand['args'][number];
