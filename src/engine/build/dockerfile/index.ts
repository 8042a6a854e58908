/**
 * The Dockerfile module: parsing (parser.ts), typed instructions (instructions.ts), BuildKit's
 * shell lexer (shell-lex.ts) and dispatch-time word expansion (expand.ts). No engine needed.
 *
 * A build uses it in BuildKit's order:
 *   const tree = parseDockerfile(text, { file });          // syntax; DockerfileError at file:line
 *   const { metaArgs, stages } = parseStages(tree);        // instructions, flags, refusals
 *   const lex = new ShellLex(tree.escapeToken);
 *   expandFrom(stage, lex, metaArgsEnv)                     // FROM ref and --platform
 *   expandCommand(cmd, lex, stageEnv)                       // before each instruction runs:
 *                                                           // quotes removed, $vars expanded
 * Words in parseStages' output are as written (quotes kept) until expandCommand.
 */
export { DockerfileError } from './errors.js';
export { BUILTIN_ARGS, expandCommand, expandFrom, PLATFORM_ARGS, platformArgs, PROXY_ARGS } from './expand.js';
export type { ExpandOptions, Platform } from './expand.js';
export { decodeUtf8, encodeUtf8 } from './go-text.js';
export { INSTRUCTIONS, parseCommand, parseStages, parseTrigger } from './instructions.js';
export type {
  AddCommand, ArgCommand, CmdCommand, Command, CommandLine, CopyCommand, EntrypointCommand, EnvCommand, ExposeCommand,
  HealthcheckCommand, KeyValue, LabelCommand, MaintainerCommand, OnbuildCommand, RunCommand, ShellCommand, SourceContent,
  Stage, Stages, StopSignalCommand, UserCommand, VolumeCommand, WorkdirCommand,
} from './instructions.js';
export { dumpTree, heredocBody, parseDockerfile, parseHeredoc } from './parser.js';
export type { Directives, Heredoc, Node, ParseOptions, ParseResult } from './parser.js';
export { parseMount } from './run-mount.js';
export type { CacheSharing, Mount, MountType } from './run-mount.js';
export { ShellLex, ShellLexError } from './shell-lex.js';
export type { Env, ShellLexOptions, WordWithMatches } from './shell-lex.js';
