import { FloeError } from '../errors';

/**
 * A model was used in a way it cannot support: wrong input shape or dtype, a sequence longer
 * than `maxLength`, sampling without a random generator, and the like.
 */
export class ModelError extends FloeError {}
