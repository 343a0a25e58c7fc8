/**
 * How a data error tells the user to change a setting of the source that read a file, as a
 * clause (`set skipInvalid: true on the source`). `setting` may be dotted (`fields.text`);
 * `value` is YAML (`true`, `"\t"`, `<its name>` as a placeholder).
 */
export type SettingHint = (setting: string, value: string) => string;

/**
 * A setting in the recipe, for `floe train`: `set skipInvalid: true on the source`, or with
 * `where` (`data.sources[0]`) `set delimiter: "\t" on data.sources[0]`; a dotted setting is
 * written nested (`set fields: { text: <its name> } on the source`).
 */
export function recipeSettingHint(where = 'the source'): SettingHint {
  return (setting, value) => {
    const [head, ...rest] = setting.split('.');
    const yaml = rest.reduceRight((inner, key) => `{ ${key}: ${inner} }`, value);
    return `set ${head}: ${yaml} on ${where}`;
  };
}

/**
 * A setting of the recipe source at `configPath` (`data.sources[0]`), given on the command line,
 * for `floe evaluate --data`: its files are read with that source's settings, which the user can
 * change there only with `--set` (`add --set 'data.sources[0].skipInvalid=true'`). Quoted, since
 * `[0]` is a glob to some shells.
 */
export function setOptionHint(configPath: string): SettingHint {
  return (setting, value) => `add --set '${configPath}.${setting}=${value}'`;
}
