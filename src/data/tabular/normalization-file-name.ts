/** Checkpoint file holding the normalization stats of a supervised run. */
export const NORMALIZATION_FILE = 'normalization.json';
