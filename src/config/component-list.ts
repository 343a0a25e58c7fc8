/** A config field whose items are components of another kind, resolved by their `type`. */
export interface ComponentFieldInfo {
  /** The config field holding the component(s). */
  property: string;
  /** Component kind of the items (`source` for data sources). */
  kind: string;
  /** True when the field is a list of components. */
  list: boolean;
  /** True when the recipe must give it. */
  required: boolean;
}

const fields = new Map<Function, ComponentFieldInfo[]>();

/**
 * Marks a config field as a nested component (or list of them): each item's `type` picks a
 * registered class of `kind`, and the item is validated against that class's config.
 * Example: `@ComponentList('source') sources!: SourceConfig[];`
 */
export function ComponentList(kind: string, options: { list?: boolean; required?: boolean } = {}): PropertyDecorator {
  return (target: object, property: string | symbol) => {
    const ctor = target.constructor;
    const list = fields.get(ctor) ?? [];
    list.push({ property: String(property), kind, list: options.list ?? true, required: options.required ?? false });
    fields.set(ctor, list);
  };
}

/** Component fields declared on `cls` and its ancestors. */
export function componentFields(cls: Function): ComponentFieldInfo[] {
  const out: ComponentFieldInfo[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    out.push(...(fields.get(c as Function) ?? []));
  }
  return out;
}
