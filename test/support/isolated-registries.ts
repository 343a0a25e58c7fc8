import { RegistrySnapshot, restoreRegistries, snapshotRegistries } from '../../src';

/**
 * Snapshots every global registry before each test of the enclosing `describe` and restores it
 * afterwards, so registrations made by a test (or a plugin it loads) never leak into the next.
 */
export function isolateRegistries(): void {
  let saved: RegistrySnapshot | undefined;
  beforeEach(() => {
    saved = snapshotRegistries();
  });
  afterEach(() => {
    if (saved !== undefined) restoreRegistries(saved);
    saved = undefined;
  });
}
