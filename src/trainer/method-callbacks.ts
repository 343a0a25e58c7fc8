import { FloeError } from '../errors';

/** `pre-<method>` or `post-<method>`, e.g. `pre-loss`, `post-step`. */
export type MethodCallbackEvent = `pre-${string}` | `post-${string}`;

/**
 * A pre-callback receives the method's arguments and may return replacements (an array);
 * a post-callback receives the result and may return a replacement. Returning undefined keeps
 * the original. A callback may be async only around async methods (`step`, `epoch`, `train`,
 * `evaluate`, `checkpoint`): an async pre-callback makes the call wait for it; `loss` runs
 * inside a gradient tape and its callbacks must be synchronous.
 */
export type MethodCallback = (trainer: any, ...values: any[]) => unknown;

/** A pre-callback's return: undefined keeps the arguments, an array replaces them. */
function replacementArgs(returned: unknown, args: unknown[], method: string): unknown[] {
  if (returned === undefined) return args;
  if (Array.isArray(returned)) return returned;
  throw new FloeError(`pre-${method} callback must return undefined (keep the arguments) or an array of replacement arguments, got ${typeof returned}`);
}

/** Methods the base Trainer wraps with pre/post callbacks; subclasses may add their own. */
export const DEFAULT_CALLBACK_METHODS = ['loss', 'step', 'epoch', 'train', 'evaluate', 'checkpoint'];

/** The wrappers {@link installMethodCallbacks} made. */
const wrappers = new WeakSet<object>();

/**
 * Whether `fn` is a wrapper {@link installMethodCallbacks} put on a trainer: it runs the method it
 * wraps, whose work (the training loop's counting included) stays the same.
 */
export function isMethodCallbackWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && wrappers.has(fn);
}

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
    const call = (args: unknown[]): unknown => {
      const result = (original as (...a: unknown[]) => unknown).apply(target, args);
      return result instanceof Promise ? result.then(applyPost) : applyPost(result);
    };
    // Runs pre-callbacks from index i on; an async one makes the rest (and the method) wait.
    const runPre = (args: unknown[], i: number): unknown => {
      for (; i < pre.length; i++) {
        const replaced = pre[i](target, ...args);
        if (replaced instanceof Promise) {
          const next = i + 1;
          return replaced.then((r) => runPre(replacementArgs(r, args, method), next));
        }
        args = replacementArgs(replaced, args, method);
      }
      return call(args);
    };
    const wrapped = function wrapped(...args: unknown[]): unknown {
      return runPre(args, 0);
    };
    wrappers.add(wrapped);
    self[method] = wrapped;
  }
}
