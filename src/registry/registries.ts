import * as path from 'path';
import { allComponentKinds, ComponentClass, forgetComponentKind, getComponentKind } from './component-kind';
import { Registry } from './registry';
import { FloeError, listChoices } from '../errors';

const registries = new Map<string, Registry>();

/**
 * Where each copy of Floe loaded in this process lives, shared through a global: a plugin that
 * resolves `floe` to a second copy registers into that copy's registries, which this one never
 * sees, so plugin loading compares this list before and after.
 */
const loadedCopies = ((globalThis as Record<symbol, unknown>)[Symbol.for('floe.loadedCopies')] ??= []) as string[];
const THIS_COPY = path.resolve(__dirname, '..');
loadedCopies.push(THIS_COPY);

/**
 * The folders (`.../dist/src`) of every Floe copy loaded in this process, this one included.
 * @internal
 */
export function loadedFloeCopies(): { self: string; all: readonly string[] } {
  return { self: THIS_COPY, all: [...loadedCopies] };
}

/** The registry of one component kind (created on first use). */
export function getRegistry<T extends ComponentClass = ComponentClass>(kindName: string): Registry<T> {
  let registry = registries.get(kindName);
  if (registry === undefined) {
    const kind = getComponentKind(kindName);
    if (kind === undefined) {
      const known = allComponentKinds().map((k) => k.name);
      throw new FloeError(`Unknown component kind '${kindName}'. Known kinds: ${listChoices(known)}.`);
    }
    registry = new Registry(kind);
    registries.set(kindName, registry);
  }
  return registry as unknown as Registry<T>;
}

/** Saved contents of every registry, see {@link snapshotRegistries}. */
export type RegistrySnapshot = Map<string, Map<string, ComponentClass>>;

/** Saves every registry's contents (tests restore them afterwards). */
export function snapshotRegistries(): RegistrySnapshot {
  const saved: RegistrySnapshot = new Map();
  for (const kind of allComponentKinds()) saved.set(kind.name, getRegistry(kind.name).snapshot());
  return saved;
}

/**
 * Restores contents saved by {@link snapshotRegistries}: registrations made since are dropped,
 * and so are component kinds declared since (with their registries).
 */
export function restoreRegistries(saved: RegistrySnapshot): void {
  for (const kind of allComponentKinds()) {
    const entries = saved.get(kind.name);
    if (entries === undefined) {
      forgetComponentKind(kind.name);
      registries.delete(kind.name);
    } else {
      getRegistry(kind.name).restore(entries);
    }
  }
}
