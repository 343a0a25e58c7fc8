import { FloeError } from '../errors';

/** `pre-<method>` or `post-<method>`, e.g. `pre-loss`, `post-step`. */
export type MethodCallbackEvent = `pre-${string}` | `post-${string}`;

/**
 * A pre-callback receives the method's arguments and may return replacements (an array);
 * a post-callback receives the result and may return a replacement. Returning undefined keeps
 * the original. Callbacks around synchronous methods (like `loss`) must be synchronous.
 */
export type MethodCallback = (trainer: any, ...values: any[]) => unknown;

/** Methods the base Trainer wraps with pre/post callbacks; subclasses may add their own. */
export const DEFAULT_CALLBACK_METHODS = ['loss', 'step', 'epoch', 'train', 'evaluate', 'checkpoint'];

/**
 * Wraps each named method of `target` so its pre- and post-callbacks run around it. Methods
 * with no callbacks are left untouched (no overhead on the hot path).
 */
export function installMethodCallbacks(target: object, methods: readonly string[], callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]>): void {
  const self = target as Record<string, unknown>;
  for (const [event] of callbacks) {
    const method = event.replace(/^(pre|post)-/, '');
    if (!/^(pre|post)-/.test(event) || !methods.includes(method)) {
      throw new FloeError(`Unknown trainer callback event '${event}'. Use pre-<method> or post-<method> with one of: ${methods.join(', ')}.`);
    }
  }
  for (const method of methods) {
    const pre = callbacks.filter(([e]) => e === `pre-${method}`).map(([, fn]) => fn);
    const post = callbacks.filter(([e]) => e === `post-${method}`).map(([, fn]) => fn);
    if (pre.length === 0 && post.length === 0) continue;
    const original = self[method];
    if (typeof original !== 'function') throw new FloeError(`Trainer has no method '${method}' to attach callbacks to.`);
    const applyPost = (result: unknown): unknown => {
      for (const fn of post) {
        const replaced = fn(target, result);
        if (replaced !== undefined) result = replaced;
      }
      return result;
    };
    self[method] = function wrapped(...args: unknown[]): unknown {
      for (const fn of pre) {
        const replaced = fn(target, ...args);
        if (Array.isArray(replaced)) args = replaced;
      }
      const result = (original as (...a: unknown[]) => unknown).apply(target, args);
      return result instanceof Promise ? result.then(applyPost) : applyPost(result);
    };
  }
}
