import { FloeError } from '../errors';

/** The command line itself is wrong: an unknown command or flag, a missing argument (exit code 1). */
export class UsageError extends FloeError {
  /**
   * @param message what is wrong.
   * @param command the command being parsed (`train`), whose `--help` the error points to.
   */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
