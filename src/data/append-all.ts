/**
 * Appends `items` to `into` one by one. `into.push(...items)` passes every item as an argument,
 * which overflows the call stack past ~100k items (one long document packs into that many rows).
 */
export function appendAll<T>(into: T[], items: Iterable<T>): void {
  for (const item of items) into.push(item);
}
