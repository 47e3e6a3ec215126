import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

interface PackedFile {
  path: string;
}

/**
 * The package as npm would make it from a fresh clone (`npm pack`, and what `npm install` of a git
 * URL does after installing its dev dependencies): only the files git tracks, no `dist/` built
 * beforehand. Then installed into an empty project and imported as a user imports it.
 */
describe('the published package', function () {
  this.timeout(180_000);
  let work: string;
  let files: Set<string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'rx-sse-pack-'));
    const clone = join(work, 'clone');
    const { stdout: tracked } = await run('git', ['ls-files', '-z'], { cwd: root });
    for (const path of tracked.split('\0').filter((p) => p !== '')) {
      await mkdir(dirname(join(clone, path)), { recursive: true });
      // A tracked file deleted in the working tree is not part of what is being tested.
      await cp(join(root, path), join(clone, path)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
    }
    // The dev dependencies a git install would have installed, without installing them again.
    await symlink(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    // With --json, npm writes the lifecycle scripts' output to stderr and the manifest to stdout.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: clone,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: unknown) => {
      // The build's own words (tsc writes its errors to stdout) say why, not npm's summary.
      const { stdout: out = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm pack failed:\n${stderr}\n${out}`, { cause: error });
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
    if (packed === undefined) throw new Error(`npm pack printed no package: ${stdout}`);
    files = new Set(packed.files.map((file) => file.path));

    const app = join(work, 'app');
    const installed = join(app, 'node_modules', 'rx-sse');
    await mkdir(installed, { recursive: true });
    await run('tar', [
      '-xzf',
      join(work, packed.filename),
      '-C',
      installed,
      '--strip-components=1',
    ]);
    for (const peer of ['rxjs', 'redis']) {
      await symlink(join(root, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
    }
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('should carry the built code of every export, its types and the LICENSE', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const wanted = ['LICENSE', 'README.md', 'package.json'];
    for (const target of Object.values(manifest.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      wanted.push(posix.normalize(target['default'] ?? ''), posix.normalize(target['types'] ?? ''));
    }
    expect([...wanted].filter((path) => !files.has(path))).to.deep.equal([]);
  });

  it('should ship every source map with the sources it points at', async () => {
    const maps = [...files].filter((path) => path.endsWith('.map'));
    expect(maps).to.not.deep.equal([]);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(
        await readFile(join(work, 'app', 'node_modules', 'rx-sse', map), 'utf8'),
      ) as { sources: string[] };
      for (const source of sources) {
        const path = posix.join(posix.dirname(map), source);
        if (!files.has(path)) missing.push(`${map} -> ${path}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('should import from every subpath in a project that installed it', async () => {
    const script = `
      const { encode } = await import('rx-sse');
      const names = {};
      for (const path of ['rx-sse', 'rx-sse/channel', 'rx-sse/redis', 'rx-sse/resumable', 'rx-sse/client', 'rx-sse/browser', 'rx-sse/testing']) {
        names[path] = Object.keys(await import(path)).length > 0;
      }
      console.log(JSON.stringify({ frame: encode({ id: 1, data: 'x' }), names }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(work, 'app'),
    });
    expect(JSON.parse(stdout)).to.deep.equal({
      frame: 'id: 1\ndata: x\n\n',
      names: {
        'rx-sse': true,
        'rx-sse/channel': true,
        'rx-sse/redis': true,
        'rx-sse/resumable': true,
        'rx-sse/client': true,
        'rx-sse/browser': true,
        'rx-sse/testing': true,
      },
    });
  });
});
