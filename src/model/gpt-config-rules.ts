import { isFiniteNumber, recipeOf } from '../config/config-rule';
import type { GptConfig } from './gpt-model-factory';
import { dynamicContextProblem } from './rope-scaling-config';

// The cross-field rules of GptConfig (its @ConfigRule checks), apart so the config class stays readable.

/**
 * Heads must split the width evenly, and with rotary positions into an even head size. Left to
 * the source's architecture when the model starts `from` pretrained weights.
 */
export function headsProblem(c: GptConfig): string | undefined {
  // A fractional or out-of-range size is the size field's own error, reported once there.
  if (c.from !== undefined || !Number.isInteger(c.heads) || !Number.isInteger(c.dim) || c.heads < 1 || c.dim < 1) return undefined;
  // With headDim the heads need not split dim (headDimProblem checks it).
  if (c.headDim !== undefined) return undefined;
  if (c.dim % c.heads !== 0) {
    const near = [c.heads - 1, c.heads + 1, c.heads - 2, c.heads + 2].filter((h) => h >= 1 && c.dim % h === 0);
    const hint = near.length > 0 ? ` (e.g. heads: ${near[0]})` : '';
    return `${c.heads} heads do not divide dim ${c.dim} evenly (each head gets dim / heads channels): choose heads among the divisors of dim${hint}, or a dim that is a multiple of ${c.heads}`;
  }
  if (c.position === 'rope' && (c.dim / c.heads) % 2 !== 0) {
    return `position: rope rotates channel pairs, so the head size dim / heads must be even, got ${c.dim} / ${c.heads} = ${c.dim / c.heads}`;
  }
  return undefined;
}

/**
 * Each key/value head serves an equal group of query heads. Left to the source's architecture
 * when the model starts `from` pretrained weights.
 */
export function kvHeadsProblem(c: GptConfig): string | undefined {
  // Non-integer or out-of-range values are the fields' own errors, reported once there.
  if (c.from !== undefined || c.kvHeads === undefined || !Number.isInteger(c.kvHeads) || !Number.isInteger(c.heads) || c.kvHeads < 1 || c.heads < 1) return undefined;
  if (c.heads % c.kvHeads === 0) return undefined;
  const divisors = Array.from({ length: c.heads }, (_, i) => i + 1).filter((k) => c.heads % k === 0);
  return `${c.kvHeads} key/value heads do not divide heads ${c.heads} (each key/value head serves an equal group of query heads): choose kvHeads among ${divisors.join(', ')}`;
}

/** Rotary positions rotate channel pairs: an explicit head size must be even with them. */
export function headDimProblem(c: GptConfig): string | undefined {
  if (c.from !== undefined || c.headDim === undefined || !Number.isInteger(c.headDim) || c.position !== 'rope' || c.headDim % 2 === 0) return undefined;
  return `is ${c.headDim} but position: rope rotates channel pairs, so the head size must be even (e.g. ${c.headDim + 1})`;
}

/** RoPE settings mean nothing without rotary positions: a learned table would silently ignore them. */
export function ropeOnlyProblem(c: GptConfig): string | undefined {
  if (c.from !== undefined || c.position === 'rope' || c.ropeTheta === undefined) return undefined;
  return `is set but position is ${JSON.stringify(c.position)}: ropeTheta is the base frequency of rotary positions; set position: rope or remove ropeTheta`;
}

/** As {@link ropeOnlyProblem}, for ropeScaling. */
export function ropeScalingOnlyProblem(c: GptConfig): string | undefined {
  if (c.from !== undefined || c.ropeScaling === undefined) return undefined;
  if (c.position !== 'rope') return `is set but position is ${JSON.stringify(c.position)}: ropeScaling rescales rotary positions; set position: rope or remove ropeScaling`;
  const dynamic = dynamicContextProblem(c.ropeScaling, c.maxLength);
  return dynamic === undefined ? undefined : `is ${dynamic}`;
}

/** The model must take the data's rows whole (a pretrained source's own length is checked when it is read). */
export function maxLengthProblem(c: GptConfig): string | undefined {
  const data = recipeOf<{ data: { maxLength?: unknown } }>(c)?.data;
  const dataMaxLength = data?.maxLength;
  if (c.from !== undefined || !isFiniteNumber(dataMaxLength) || !isFiniteNumber(c.maxLength) || c.maxLength >= dataMaxLength) return undefined;
  return `is ${c.maxLength} but data.maxLength is ${dataMaxLength}: the model must accept the longest training row; raise model.maxLength to at least ${dataMaxLength} or lower data.maxLength`;
}

/** The local layers' window needs its layer pattern (and a pattern its window). */
export function slidingWindowPairProblem(c: GptConfig): string | undefined {
  if (c.from !== undefined) return undefined;
  if ((c.slidingWindow === undefined) !== (c.slidingWindowPattern === undefined)) return 'needs slidingWindow and slidingWindowPattern together (the local layers and their window)';
  if (c.ropeLocalTheta !== undefined && c.slidingWindowPattern === undefined) return 'ropeLocalTheta is the RoPE base of the local layers: it needs slidingWindow and slidingWindowPattern';
  return undefined;
}

/** Floe's attention is full causal: the data's rows must fit the local layers' window. */
export function slidingWindowFitsProblem(c: GptConfig): string | undefined {
  const dataMaxLength = recipeOf<{ data: { maxLength?: unknown } }>(c)?.data?.maxLength;
  if (c.from !== undefined || c.slidingWindowPattern === undefined || !isFiniteNumber(dataMaxLength) || !isFiniteNumber(c.slidingWindow) || dataMaxLength <= c.slidingWindow) return undefined;
  return `is ${c.slidingWindow} but data.maxLength is ${dataMaxLength}: Floe's attention is full causal, which equals the local layers' window only on rows of at most ${c.slidingWindow} tokens; lower data.maxLength to ${c.slidingWindow}`;
}
