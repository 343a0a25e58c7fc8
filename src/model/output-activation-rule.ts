/** The built-in losses that can take logits (`fromLogits`), and the squashing their probabilities come from. */
const LOGIT_LOSSES: Record<string, 'softmax' | 'sigmoid'> = { 'cross-entropy': 'softmax', 'binary-cross-entropy': 'sigmoid' };

/** A recipe's `loss:` section as the rule reads it (left unchecked when not built-in). */
export interface LossSection {
  type?: unknown;
  fromLogits?: unknown;
}

/** A model's last activation that does not fit its loss, and what the loss expects instead. */
export interface ActivationMismatch {
  /** `double`: the loss squashes again; `raw`: the loss reads probabilities from unsquashed outputs. */
  kind: 'double' | 'raw';
  /** The loss type. */
  lossType: string;
  /** The squashing that turns the model's logits into the loss's probabilities. */
  squash: 'softmax' | 'sigmoid';
}

/**
 * A classifier's last activation must match what the loss reads: a softmax (or sigmoid) output
 * fed to a loss that applies one itself squashes twice — training stalls and `floe predict`
 * reports probabilities of probabilities — and raw outputs read as probabilities give log(≤ 0).
 */
export function activationMismatch(activation: string, loss: LossSection | undefined): ActivationMismatch | undefined {
  const squash = typeof loss?.type === 'string' ? LOGIT_LOSSES[loss.type] : undefined;
  if (squash === undefined || typeof loss?.fromLogits !== 'boolean') return undefined;
  const lossType = loss.type as string;
  if (loss.fromLogits && activation !== 'linear') return { kind: 'double', lossType, squash };
  if (!loss.fromLogits && activation !== squash) return { kind: 'raw', lossType, squash };
  return undefined;
}

/** "but loss … : use …" for a mismatch; `setting` names where the activation is set (`outputActivation`). */
export function activationMismatchMessage(m: ActivationMismatch, setting: string): string {
  if (m.kind === 'double') {
    return `but loss ${m.lossType} takes logits and applies the ${m.squash} itself (loss.fromLogits: true): use ${setting}: linear, or set loss.fromLogits: false with ${setting}: ${m.squash}`;
  }
  return `but loss ${m.lossType} with loss.fromLogits: false reads probabilities: use ${setting}: ${m.squash}, or leave loss.fromLogits at true with ${setting}: linear`;
}
