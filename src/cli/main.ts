import 'reflect-metadata';
import yargs, { Argv } from 'yargs';
import '../index';
import { FloeError } from '../errors';
import { CliIo, EXIT, processIo } from './cli-io';
import { listCommand } from './commands/list-command';
import { trainCommand } from './commands/train-command';
import { validateCommand } from './commands/validate-command';

/**
 * Runs the `floe` CLI and resolves to its exit code: 0 ok, 1 bad input (message only, stack
 * with --verbose), 2 internal failure.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const done = (c: number): void => {
    code = c;
  };
  let parser: Argv = yargs([...argv])
    .scriptName('floe')
    .usage('$0 <command> [options]')
    .option('set', { type: 'string', array: true, describe: 'Override a recipe value: --set optimizer.lr=1e-3 (repeatable)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .strict()
    .demandCommand(1, 'Name a command: train, validate or list (floe --help shows all).')
    .recommendCommands()
    .help()
    .version(false)
    .wrap(100)
    .exitProcess(false);
  parser = trainCommand(parser, io, done);
  parser = validateCommand(parser, io, done);
  parser = listCommand(parser, io, done);
  let usageError: string | undefined;
  parser = parser.fail((message, error) => {
    if (error !== undefined && error !== null) throw error;
    usageError = message;
  });
  const verbose = argv.includes('--verbose');
  try {
    await parser.parseAsync();
    if (usageError !== undefined) {
      io.err(`error: ${usageError}`);
      io.err('Run floe --help for usage.');
      return EXIT.badInput;
    }
    return code;
  } catch (error) {
    if (error instanceof FloeError) {
      io.err(`error: ${error.message}`);
      if (verbose && error.stack !== undefined) io.err(error.stack);
      return EXIT.badInput;
    }
    io.err(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.internal;
  }
}

/** Entry point of bin/floe.js. */
export async function main(argv: readonly string[]): Promise<void> {
  const code = await runCli(argv);
  process.exit(code);
}
