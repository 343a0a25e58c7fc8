import { FloeError } from '../errors';

/** Thrown by {@link frugalVariableGrads} when the loss does not depend on any of the trainable variables given. */
export class DisconnectedLossError extends FloeError {}
