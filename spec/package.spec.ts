import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { linkProblems, parseRun, scanMarkdown } from './support/markdown.js';
import { serveOneEvent } from './support/runProgram.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

interface PackedFile {
  path: string;
}

interface Manifest {
  main: string;
  types: string;
  exports: Record<string, string | Record<string, string>>;
}

/** Every subpath a user can import, `rx-sse/browser` included. */
const subpaths = [
  'rx-sse',
  'rx-sse/channel',
  'rx-sse/client',
  'rx-sse/browser',
  'rx-sse/redis',
  'rx-sse/resumable',
  'rx-sse/testing',
];

/**
 * A consumer's module importing every server subpath by name: what a user's `tsc` reads of the
 * package's types. The `@ts-expect-error` proves the types are there (an `any` would accept it).
 */
const consumer = (without: string[] = []) => {
  const modules = subpaths.filter((path) => path !== 'rx-sse/browser' && !without.includes(path));
  return [
    "import { of } from 'rxjs';",
    "import { encode, sse, type SseEvent } from 'rx-sse';",
    ...modules.map((path, i) => `import * as module${String(i)} from '${path}';`),
    '',
    "const event: SseEvent = { event: 'tick', id: 1, data: { n: 1 } };",
    'export const frame: string = encode(event);',
    'export const listener = sse(() => of(event));',
    '// @ts-expect-error: an event is an object',
    'encode(42);',
    `export const modules = [${modules.map((_, i) => `module${String(i)}`).join(', ')}];`,
    '',
  ].join('\n');
};

/** The compiler options of a user's project: strict, and the package's own .d.ts checked too. */
const userOptions = {
  target: 'es2022',
  lib: ['es2022'],
  types: ['node'],
  strict: true,
  skipLibCheck: false,
  noEmit: true,
};

/**
 * Type-checks files of a project in `dir` with these compiler options (as tsconfig.json spells
 * them), as `tsc` would there: `file:line: message` for each diagnostic, those of the installed
 * packages' .d.ts included.
 */
async function typeErrors(
  dir: string,
  files: Record<string, string>,
  json: Record<string, unknown>,
): Promise<string[]> {
  const names = Object.keys(files).map((name) => join(dir, name));
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  const { options, errors } = ts.convertCompilerOptionsFromJson(json, dir);
  expect(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).to.deep.equal([]);
  const program = ts.createProgram(names, options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${relative(dir, d.file.fileName)}:${String(line + 1)}: ${message}`;
  });
}

/**
 * The package as npm would make it from a fresh clone (`npm pack`, and what `npm install` of a git
 * URL does after installing its dev dependencies): only the files git tracks, no `dist/` built
 * beforehand. Then installed into empty projects — one with the peers rxjs and redis, one with
 * rxjs alone — and used as a user uses it: imported, required, type-checked, run.
 */
describe('the published package', function () {
  this.timeout(180_000);
  let work: string;
  let files: Set<string>;
  /** A project with the package and the peers rxjs and redis installed. */
  let app: string;
  /** A project with the package and rxjs, and no redis. */
  let bare: string;
  let installed: string;

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

    app = join(work, 'app');
    bare = join(work, 'bare');
    installed = join(app, 'node_modules', 'rx-sse');
    for (const [project, peers] of [
      [app, ['rxjs', 'redis', '@redis']],
      [bare, ['rxjs']],
    ] as const) {
      const target = join(project, 'node_modules', 'rx-sse');
      await mkdir(target, { recursive: true });
      await run('tar', ['-xzf', join(work, packed.filename), '-C', target, '--strip-components=1']);
      for (const peer of peers) {
        await symlink(join(root, 'node_modules', peer), join(project, 'node_modules', peer), 'dir');
      }
      await mkdir(join(project, 'node_modules', '@types'));
      await symlink(
        join(root, 'node_modules', '@types', 'node'),
        join(project, 'node_modules', '@types', 'node'),
        'dir',
      );
      await writeFile(
        join(project, 'package.json'),
        JSON.stringify({ name: 'user', private: true, type: 'module' }),
      );
    }
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('should ship exactly what a user needs: dist, src, the guides, README, CHANGELOG, LICENSE', () => {
    const shipped =
      /^(dist\/.+|src\/.+|docs\/[^/]+\.(md|svg)|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/;
    // No spec/, bench/, samples/ or docs/api/: those are the repository's.
    expect([...files].filter((path) => !shipped.test(path))).to.deep.equal([]);
    for (const needed of ['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']) {
      expect(files, needed).to.include(needed);
    }
    expect([...files].filter((path) => /^docs\/[^/]+\.md$/.test(path))).to.not.deep.equal([]);
  });

  it('should carry every file its exports, main and types name', async () => {
    const manifest = JSON.parse(
      await readFile(join(installed, 'package.json'), 'utf8'),
    ) as Manifest;
    const targets = [manifest.main, manifest.types];
    for (const target of Object.values(manifest.exports)) {
      targets.push(...(typeof target === 'string' ? [target] : Object.values(target)));
    }
    const missing = targets.map((target) => posix.normalize(target)).filter((p) => !files.has(p));
    expect(missing).to.deep.equal([]);
    expect(Object.keys(manifest.exports)).to.have.members([
      ...subpaths.map((path) => path.replace('rx-sse', '.')),
      './package.json',
    ]);
  });

  it('should ship every source map with its sources, or their text inside it', async () => {
    const maps = [...files].filter((path) => path.endsWith('.map'));
    expect(maps).to.not.deep.equal([]);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(
        await readFile(join(installed, map), 'utf8'),
      ) as { sources: string[]; sourcesContent?: (string | null)[] };
      sources.forEach((source, i) => {
        const path = posix.join(posix.dirname(map), source);
        if (!files.has(path) && typeof sourcesContent?.[i] !== 'string') {
          missing.push(`${map} -> ${path}`);
        }
      });
    }
    expect(missing).to.deep.equal([]);
  });

  it('should have relative links in its Markdown that point inside the package', () => {
    const markdown = [...files].filter((path) => path.endsWith('.md'));
    const problems = markdown.flatMap((file) =>
      linkProblems(file, readFileSync(join(installed, file), 'utf8'), {
        shipped: (path) => files.has(path),
        exists: (path) => existsSync(join(root, path)),
        read: (path) => readFileSync(join(installed, path), 'utf8'),
      }),
    );
    expect(problems).to.deep.equal([]);
  });

  it('should import from every subpath in a project that installed it', async () => {
    const script = `
      const { encode } = await import('rx-sse');
      const names = {};
      for (const path of ${JSON.stringify(subpaths)}) {
        names[path] = Object.keys(await import(path)).length > 0;
      }
      console.log(JSON.stringify({ frame: encode({ id: 1, data: 'x' }), names }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
    });
    expect(JSON.parse(stdout)).to.deep.equal({
      frame: 'id: 1\ndata: x\n\n',
      names: Object.fromEntries(subpaths.map((path) => [path, true])),
    });
  });

  it('should require() every subpath from CommonJS (Node ≥ 20.19 loads ES modules so)', async () => {
    const script = `
      const { encode } = require('rx-sse');
      const names = {};
      for (const path of ${JSON.stringify(subpaths)}) {
        names[path] = Object.keys(require(path)).length > 0;
      }
      console.log(JSON.stringify({ frame: encode({ id: 1, data: 'x' }), names }));
    `;
    await writeFile(join(app, 'required.cjs'), script);
    const { stdout } = await run(process.execPath, ['required.cjs'], { cwd: app });
    expect(JSON.parse(stdout)).to.deep.equal({
      frame: 'id: 1\ndata: x\n\n',
      names: Object.fromEntries(subpaths.map((path) => [path, true])),
    });
  });

  for (const [module, moduleResolution] of [
    ['node16', 'node16'],
    ['esnext', 'bundler'],
  ]) {
    it(`should type-check a user's module under module ${module}, moduleResolution ${moduleResolution}, skipLibCheck false`, async () => {
      const problems = await typeErrors(
        app,
        { [`${moduleResolution}.ts`]: consumer() },
        { ...userOptions, module, moduleResolution },
      );
      expect(problems).to.deep.equal([]);
    });
  }

  it('should type-check a CommonJS module (.cts) that imports it, under module nodenext', async () => {
    const problems = await typeErrors(
      app,
      { 'required.cts': consumer() },
      { ...userOptions, module: 'nodenext', moduleResolution: 'nodenext' },
    );
    expect(problems).to.deep.equal([]);
  });

  it('should type-check the browser subpaths with the DOM library and no node types', async () => {
    const page = [
      "import { fromEventSource } from 'rx-sse/browser';",
      "import { fromSse } from 'rx-sse/client';",
      '',
      "export const events = fromEventSource('/events');",
      "export const answers = fromSse('/answers', { method: 'POST', json: { q: 1 } });",
      '',
    ].join('\n');
    const problems = await typeErrors(
      app,
      { 'page.ts': page },
      {
        ...userOptions,
        lib: ['es2022', 'dom'],
        types: [],
        module: 'esnext',
        moduleResolution: 'bundler',
      },
    );
    expect(problems).to.deep.equal([]);
  });

  it('should type-check with skipLibCheck false where redis, an optional peer, is not installed', async () => {
    expect(existsSync(join(bare, 'node_modules', 'redis'))).to.be.false;
    const problems = await typeErrors(
      bare,
      { 'consumer.ts': consumer(['rx-sse/redis']) },
      { ...userOptions, module: 'node16', moduleResolution: 'node16' },
    );
    expect(problems).to.deep.equal([]);
  });

  it('should say that rx-sse/redis needs redis where it is not installed (its types need it)', async () => {
    const problems = await typeErrors(
      bare,
      { 'redis.ts': "export * from 'rx-sse/redis';\n" },
      { ...userOptions, module: 'node16', moduleResolution: 'node16' },
    );
    expect(problems).to.not.deep.equal([]);
    expect(
      problems.filter((problem) => !problem.includes("Cannot find module 'redis'")),
    ).to.deep.equal([]);
    // At run time it imports nothing of redis: the user's own client is what needs it.
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "console.log(typeof (await import('rx-sse/redis')).createRedisChannel)",
      ],
      { cwd: bare },
    );
    expect(stdout).to.equal('function\n');
  });

  it("should serve an event from each of the README's quick starts, run as it says", async () => {
    const readme = scanMarkdown('README.md', await readFile(join(installed, 'README.md'), 'utf8'));
    const quickStarts = readme.blocks.filter((block) => block.run?.startsWith('serve') === true);
    expect(quickStarts.map((block) => block.lang)).to.include.members(['js', 'ts']);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    for (const block of quickStarts) {
      const how = parseRun(block);
      if (how.kind !== 'serve') throw new Error('unreachable');
      const file = join(
        app,
        `quickstart-${String(block.line)}.${block.lang === 'ts' ? 'ts' : 'mjs'}`,
      );
      await writeFile(file, block.code);
      // Plain node for JavaScript; TypeScript through tsx, as the README says to run it.
      const args = block.lang === 'ts' ? ['--import', tsx, file] : [file];
      const event = await serveOneEvent({ command: process.execPath, args, cwd: app }, how.path);
      expect(event, `README.md:${String(block.line)}`).to.match(/^data:/m);
    }
  });
});
