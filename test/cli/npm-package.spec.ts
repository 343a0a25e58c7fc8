import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');

/**
 * Files of dist/src that find others by a path from their own folder (`__dirname`), and what each
 * reads. A new one must be checked here: its target has to ship in the package too.
 */
const READS_BY_PATH: Record<string, string[]> = {
  'dist/src/cli/main.js': ['package.json'],
  'dist/src/distributed/launch-threads.js': ['dist/src/distributed/thread-worker-entry.js'],
  'dist/src/distributed/mpi-communicator.js': ['native/mpi/index.js', 'native/mpi/build.js', 'native/mpi/binding.gyp', 'native/mpi/src/floe_mpi.c'],
  'dist/src/backend/native/native-kernels-addon.js': ['native/kernels/binding.gyp', 'native/kernels/index.js'],
  // Only its own folders, to tell Floe's stack frames from a plugin's.
  'dist/src/registry/registration-site.js': [],
  'dist/src/registry/registries.js': [],
  // `npm run docs:recipes` in a checkout; finds package.json.
  'dist/src/docs/generate-docs.js': ['package.json'],
};

/** Every file under `dir` (relative to the repository, with `/`). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(REPO, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(path.sep).join('/'));
}

describe('npm package contents (npm pack --dry-run)', function () {
  let files: Set<string>;
  let manifest: { scripts: Record<string, string>; bin: Record<string, string>; main: string; types: string };
  before(function () {
    this.timeout(60000);
    // Offline and quick: lists what `npm publish` would ship without writing a tarball or running scripts.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
    files = new Set(pack.files.map((f) => f.path));
    manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  });

  it('leaves out tests, benchmarks, builds of the addons and the generated API docs', () => {
    const unwanted = [...files].filter((f) => /^(dist\/(test|bench)\/|test\/|bench\/|native\/[^/]+\/build\/|docs\/api\/|runs\/|tmp\/|node_modules\/)/.test(f) || f.endsWith('.node'));
    assert.deepEqual(unwanted, []);
  });

  it('holds the CLI, the library entry points and their types', () => {
    for (const f of ['package.json', 'README.md', 'bin/floe.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', ...Object.values(manifest.bin), manifest.main, manifest.types]) {
      assert.ok(files.has(f.replace(/^\.\//, '')), `${f} is not in the package`);
    }
  });

  it('holds every module and JSON file that dist/src requires by a relative path', () => {
    const missing: string[] = [];
    for (const file of [...files].filter((f) => f.startsWith('dist/src/') && f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      for (const [, , spec] of text.matchAll(/require\((["'])(\.{1,2}\/[^"']+)\1\)/g)) {
        const target = path.posix.join(path.posix.dirname(file), spec);
        if (![target, `${target}.js`, `${target}/index.js`].some((t) => files.has(t))) missing.push(`${file} requires ${spec}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(files.has('dist/src/docs/field-docs.json'), 'field-docs.json (imported by docs/field-docs) ships');
  });

  it('needs only Node built-ins and its dependencies at run time (typescript only for docs:recipes)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const undeclared: string[] = [];
    for (const file of [...files].filter((f) => f.startsWith('dist/src/') && f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      for (const [, , spec] of text.matchAll(/require\((["'])([^."'][^"']*)\1\)/g)) {
        const name = spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
        if (builtinModules.includes(name.replace(/^node:/, '')) || pkg.dependencies[name] !== undefined) continue;
        if (name === 'typescript' && file === 'dist/src/docs/extract-field-docs.js') continue;
        undeclared.push(`${file} requires ${spec}`);
      }
    }
    assert.deepEqual(undeclared, []);
  });

  it('holds what dist/src reads by a path from its own folder, and nothing new reads one unreviewed', () => {
    const readers = [...files].filter((f) => f.startsWith('dist/src/') && f.endsWith('.js') && fs.readFileSync(path.join(REPO, f), 'utf8').includes('__dirname'));
    assert.deepEqual(readers.sort(), Object.keys(READS_BY_PATH).sort(), 'a file of dist/src reads by __dirname: check what it reads ships, then list it in READS_BY_PATH');
    const missing = Object.values(READS_BY_PATH).flat().filter((f) => !files.has(f));
    assert.deepEqual(missing, []);
  });

  it('builds the native addon from its sources at install (no prebuilt .node), with every source binding.gyp names', () => {
    assert.equal(manifest.scripts.install, 'node native/kernels/build-native.js');
    assert.ok(files.has('native/kernels/build-native.js'));
    for (const addon of ['native/kernels', 'native/mpi']) {
      const gyp = JSON.parse(fs.readFileSync(path.join(REPO, addon, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
      const sources = gyp.targets.flatMap((t) => t.sources).map((s) => `${addon}/${s}`);
      // Headers and .inc files the sources include are in src/ too.
      const local = filesUnder(`${addon}/src`);
      assert.deepEqual([...sources, ...local].filter((f) => !files.has(f)), [], `${addon} sources missing`);
    }
  });

  it('holds the example recipes with their data, and the TypeScript sources its source maps name', () => {
    const missing = filesUnder('recipes').filter((f) => !files.has(f));
    assert.deepEqual(missing, []);
    assert.ok(files.has('recipes/quickstart.yaml'));
    // bin/floe.js turns source maps on, so stack frames name src/*.ts: those files are there to open.
    const unmapped: string[] = [];
    // (A build output whose .ts is gone is left to the clean build a publish starts from.)
    const built = [...files].filter((f) => f.startsWith('dist/src/') && f.endsWith('.js.map') && fs.existsSync(path.join(REPO, f.replace(/^dist\//, '').replace(/\.js\.map$/, '.ts'))));
    assert.ok(built.length > 100, `${built.length} source maps`);
    for (const map of built) {
      const { sources } = JSON.parse(fs.readFileSync(path.join(REPO, map), 'utf8')) as { sources: string[] };
      for (const s of sources) if (!files.has(path.posix.join(path.posix.dirname(map), s))) unmapped.push(`${map} → ${s}`);
    }
    assert.deepEqual(unmapped, []);
  });
});
