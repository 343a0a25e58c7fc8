import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import yargs, { Argv } from 'yargs';
import '../index';
import { RankFailedError } from '../distributed/distributed-errors';
import { FloeError } from '../errors';
import { CliIo, EXIT, processIo, rankTaggedIo } from './cli-io';
import { generateCommand } from './commands/generate-command';
import { envCommand } from './commands/env-command';
import { evaluateCommand } from './commands/evaluate-command';
import { exportCommand } from './commands/export-command';
import { listCommand } from './commands/list-command';
import { predictCommand } from './commands/predict-command';
import { reportCommand } from './commands/report-command';
import { schemaCommand } from './commands/schema-command';
import { trainCommand } from './commands/train-command';
import { validateCommand } from './commands/validate-command';
import { refuseRepeatedFlags } from './repeated-flags';
import { UsageError } from './usage-error';
import { checkpointFirst } from './checkpoint-arg';
import { explainUsageFailure, parseContext } from './usage-messages';

/**
 * Runs the `floe` CLI and resolves to its exit code: 0 ok, 1 bad input (message only, stack
 * with --verbose), 2 internal failure.
 */
export async function runCli(given: readonly string[], io: CliIo = processIo): Promise<number> {
  const argv = checkpointFirst(given);
  let code: number = EXIT.ok;
  const done = (c: number): void => {
    code = c;
  };
  let parser: Argv = yargs([...argv])
    .scriptName('floe')
    .usage('$0 <command> [options]')
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .strict()
    .demandCommand(1, `Name a command: ${COMMANDS.join(', ')} (floe --help shows all).`)
    .recommendCommands()
    .help()
    // `floe -h` and `floe train -h` are what many type first: without the alias they said 'Name a command' / 'needs <recipe>'.
    .alias('help', 'h')
    .version(floeVersion())
    .wrap(100)
    .exitProcess(false);
  parser = trainCommand(parser, io, done);
  parser = validateCommand(parser, io, done);
  parser = evaluateCommand(parser, io, done);
  parser = listCommand(parser, io, done);
  parser = predictCommand(parser, io, done);
  parser = exportCommand(parser, io, done);
  parser = generateCommand(parser, io, done);
  parser = reportCommand(parser, io, done);
  parser = schemaCommand(parser, io, done);
  parser = envCommand(parser, io, done);
  parser = parser.middleware((args) => refuseRepeatedFlags(parser, args));
  // Throwing here stops yargs from running the command's handler after a usage error.
  parser = parser.fail((message, error) => {
    // yargs's own parse errors (a flag missing its value: `--set` at the end) come as a YError.
    if (error instanceof Error && error.name === 'YError') {
      const context = parseContext(parser);
      throw new UsageError(explainUsageFailure(error.message, argv, context), context.command);
    }
    if (error !== undefined && error !== null) throw error;
    // recommendCommands reports only "Did you mean list?"; say what was not understood.
    const command = argv.find((a) => !a.startsWith('-'));
    const suggested = /^Did you mean (\S+)\?$/.exec(message);
    if (suggested !== null && command !== undefined) {
      throw new UsageError(`Unknown command '${command}'. Did you mean '${suggested[1]}'? Commands: ${COMMANDS.join(', ')}.`);
    }
    // A word that is no command (and no close typo of one) comes as an unknown argument.
    if (command !== undefined && !COMMANDS.includes(command) && /^Unknown argument/.test(message)) {
      throw new UsageError(`Unknown command '${command}'. Commands: ${COMMANDS.join(', ')}.`);
    }
    const context = parseContext(parser);
    const explained = explainUsageFailure(message, argv, context);
    throw new UsageError(/^Not enough non-option arguments/.test(message) ? `${explained}${takenAsFlagValue(argv)}` : explained, context.command);
  });
  const verbose = argv.includes('--verbose');
  try {
    // With a parse callback yargs hands over --help output instead of printing it to the console.
    let help = '';
    await parser.parseAsync([...argv], {}, (_error, _args, output) => {
      help = output;
    });
    if (help !== '') io.out(help);
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      // A usage error thrown by a command's handler (--resume without a value) names no command: take it from argv.
      const command = error.command ?? argv.find((a) => COMMANDS.includes(a));
      io.err(`Run floe ${command === undefined ? '' : `${command} `}--help for usage.`);
      return EXIT.badInput;
    }
    if (error instanceof RankFailedError && error.internal) {
      // A rank's TypeError is as internal as one process's: its stack (after the rank), exit code 2.
      io.err(`internal error: ${error.stack ?? error.message}`);
      return EXIT.internal;
    }
    if (error instanceof FloeError) {
      io.err(`error: ${error.message}`);
      if (verbose && error.stack !== undefined) io.err(error.stack);
      return EXIT.badInput;
    }
    io.err(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.internal;
  }
}

/** The commands, in the order `floe --help` lists them. */
const COMMANDS = ['train', 'validate', 'evaluate', 'list', 'predict', 'export', 'generate', 'report', 'schema', 'env'];

/** This package's version, from its package.json. */
function floeVersion(): string {
  // dist/src/cli/main.js → the package root three folders up.
  const file = path.join(__dirname, '..', '..', '..', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Why a positional went missing when one was typed: a flag before it took it as its value
 * (`floe train --bogus recipe.yaml`). Empty when no token after the command follows a bare flag.
 */
function takenAsFlagValue(argv: readonly string[]): string {
  const first = argv.findIndex((a) => !a.startsWith('-'));
  for (let i = first + 1; i < argv.length; i++) {
    const previous = argv[i - 1];
    if (!argv[i].startsWith('-') && previous.startsWith('--') && !previous.includes('=')) {
      return ` ('${argv[i]}' was read as the value of ${previous}; put flags after the positional arguments)`;
    }
  }
  return '';
}

/** What `floe train` says on stderr when the reader of its stdout goes away. */
export const STDOUT_CLOSED_WARNING =
  'stdout was closed (the program reading it ended): training goes on without printing its progress there (metrics.jsonl and status.json in the run folder have it); Ctrl-C stops it cleanly with a checkpoint';

/** Entry point of bin/floe.js. */
export async function main(argv: readonly string[]): Promise<void> {
  // `floe list | head` closes the pipe early: that is the reader's choice, not an error. A training
  // run goes on without its reader (`floe train r.yaml | head`, quitting `less`): exiting there, mid
  // step, lost the steps since the last checkpoint, left no status and reported success.
  // stderr too: `floe train r.yaml 2>&1 | head` sends both into the pipe, and an unhandled EPIPE there crashed the run.
  const training = argv.find((a) => !a.startsWith('-')) === 'train';
  const gone = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && !(gone.has(stream) && error.code === 'ERR_STREAM_DESTROYED')) throw error;
      if (!training) process.exit(0);
      if (gone.has(stream)) return;
      gone.add(stream);
      if (!gone.has(process.stderr)) process.stderr.write(`warn: ${STDOUT_CLOSED_WARNING}\n`);
    });
  }
  const code = await runCli(argv, rankTaggedIo(processIo));
  process.exit(code);
}

// `node dist/src/cli/main.js <command>` works like bin/floe.js (a debugger or profiler is often pointed here).
if (require.main === module) void main(process.argv.slice(2));
