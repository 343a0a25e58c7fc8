import { FloeError } from '../errors';

/** The command line itself is wrong: an unknown command or flag, a missing argument (exit code 1). */
export class UsageError extends FloeError {}
