import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import {
  linkProblems,
  parseRun,
  scanMarkdown,
  type CodeBlock,
  type LinkTargets,
  type Scan,
} from './support/markdown.js';
import { runToEnd, serveOneEvent, type Program } from './support/runProgram.js';
import { inMemoryProgram, repoCompilerOptions } from './support/snippets.js';

const root = resolve(import.meta.dirname, '..');
const fixtures = join(root, 'spec', 'fixtures', 'docs');

/** README.md and docs/*.md (not docs/api/, which is generated), or those `DOCS=a.md,b.md` names. */
function guides(): string[] {
  const only = process.env['DOCS']?.split(',').map((name) => name.trim());
  if (only !== undefined) return only.filter((name) => name !== '');
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
  return ['README.md', ...docs.sort().map((name) => `docs/${name}`)];
}

/**
 * What users get of the docs, as far as it exists: README.md, docs/*.md and docs/*.svg, and the
 * CHANGELOG.md and LICENSE beside them (spec/package.spec.ts checks the package ships just that).
 */
function shippedDocs(base: string): LinkTargets {
  return {
    shipped: (path) =>
      /^(README\.md|CHANGELOG\.md|LICENSE|docs\/[^/]+\.(md|svg))$/.test(path) &&
      existsSync(join(base, path)),
    exists: (path) => existsSync(join(base, path)),
    read: (path) => readFileSync(join(base, path), 'utf8'),
  };
}

const usesNest = (block: CodeBlock) => /(from|import)\s+['"]@nestjs\//.test(block.code);

/**
 * Type-checks each block as a module of its own, placed inside the repository (never written), so
 * that `rx-sse` and its subpaths resolve through tsconfig.json's paths to src/ and the dev
 * dependencies resolve from node_modules, as a user's imports would. `ts` blocks are `.ts` files,
 * `js` blocks `.mjs` files with checkJs. All blocks are one program, but those importing
 * `@nestjs/`, which are compiled with legacy decorators and their metadata.
 *
 * Returns `file:line: message` for every diagnostic, under each block's Markdown file, and the
 * program's own problems (options, globals) under `''`.
 */
function typeCheck(blocks: CodeBlock[]): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const report = (file: string, message: string) => {
    problems.set(file, [...(problems.get(file) ?? []), message]);
  };
  const options = { ...repoCompilerOptions(), allowJs: true, checkJs: true };
  const groups = [
    { blocks: blocks.filter((b) => !usesNest(b)), options },
    {
      blocks: blocks.filter(usesNest),
      // As a Nest project compiles: legacy decorators with their metadata, and Nest's idiom of
      // constructor parameter properties (which erasableSyntaxOnly refuses).
      options: {
        ...options,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        erasableSyntaxOnly: false,
      },
    },
  ];
  for (const group of groups.filter((g) => g.blocks.length > 0)) {
    const files = new Map(
      group.blocks.map((block) => {
        const name = `${block.file.replace(/[/.]/g, '-')}-${String(block.line)}`;
        const extension = block.lang === 'ts' ? 'ts' : 'mjs';
        return [join(root, 'spec', '.docs-blocks', `${name}.${extension}`), block];
      }),
    );
    const program = inMemoryProgram(
      new Map([...files].map(([path, block]) => [path, block.code])),
      group.options,
    );
    for (const d of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
      report('', ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
    for (const [name, block] of files) {
      const source = program.getSourceFile(name)!;
      const found = [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ];
      for (const d of found) {
        const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        report(block.file, `${block.file}:${String(block.line + line)}: ${message}`);
      }
    }
  }
  return problems;
}

/**
 * Runs a complete program of the docs as a user would, from a file in `dir` (a directory inside
 * the repository, so that `rx-sse` resolves to src/ through the package's `rx-sse-source`
 * condition): `node --conditions=rx-sse-source --import tsx <file>`. A NestJS block is compiled by
 * TypeScript first, as Nest's own build does: tsx's esbuild writes no decorator metadata, and
 * Nest's constructor injection reads it. Rejects with `file:line:` and what went wrong.
 */
async function runBlock(block: CodeBlock, dir: string): Promise<void> {
  const run = parseRun(block);
  const name = `${block.file.replace(/[/.]/g, '-')}-${String(block.line)}`;
  const nest = usesNest(block);
  const file = join(dir, `${name}.${block.lang === 'ts' && !nest ? 'ts' : 'mjs'}`);
  const code = nest
    ? ts.transpileModule(block.code, {
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
      }).outputText
    : block.code;
  await writeFile(file, code);
  const at = `${block.file}:${String(block.line)}`;
  const located = (error: unknown) =>
    new Error(`${at}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  const node = (...args: string[]): Program => ({
    command: process.execPath,
    args: ['--conditions=rx-sse-source', '--import', 'tsx', ...args],
    cwd: dir,
  });
  const ended = async (program: Program, timeout: number) => {
    const result = await runToEnd(program, timeout).catch((error: unknown) => {
      throw located(error);
    });
    if (result.code !== 0) {
      throw new Error(
        `${at}: exited with ${String(result.code ?? result.signal)}\n${result.output}`,
      );
    }
    return result;
  };
  switch (run.kind) {
    case 'serve':
      await serveOneEvent(node(file), run.path).catch((error: unknown) => {
        throw located(error);
      });
      return;
    case 'exit':
      await ended(node(file), 30_000);
      return;
    case 'mocha': {
      // From the repository's root, so that .mocharc.json's node options (tsx, the source
      // condition) apply; the JSON reporter's file says how many tests passed.
      const report = join(dir, `${name}.mocha.json`);
      const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
      await ended(
        {
          command: process.execPath,
          args: [mocha, '--reporter', 'json', '--reporter-option', `output=${report}`, file],
          cwd: root,
        },
        60_000,
      );
      const { stats } = JSON.parse(await readFile(report, 'utf8')) as { stats: { passes: number } };
      if (stats.passes < 1) throw new Error(`${at}: mocha ran no passing test`);
      return;
    }
    case 'node-test': {
      const { output } = await ended(node('--test', '--test-reporter=tap', file), 60_000);
      const passes = Number(/^# pass (\d+)$/m.exec(output)?.[1] ?? 0);
      if (passes < 1) throw new Error(`${at}: node --test ran no passing test\n${output}`);
      return;
    }
  }
}

/** Where programs are written: inside the repository, removed after the specs that use it. */
const runDir = join(root, 'spec', `.docs-run-${String(process.pid)}`);
const makeRunDir = () => mkdir(runDir, { recursive: true });
const removeRunDir = () => rm(runDir, { recursive: true, force: true });

const files = guides();
const scans = new Map<string, Scan>(
  files.map((file) => [file, scanMarkdown(file, readFileSync(join(root, file), 'utf8'))]),
);
const blocks = [...scans.values()].flatMap((scan) => scan.blocks);

describe('the docs (README.md and docs/*.md)', function () {
  this.timeout(120_000);
  let problems: Map<string, string[]>;

  before(() => {
    problems = typeCheck(blocks);
  });

  it('should be found, with many code blocks in them', () => {
    expect(files).to.not.deep.equal([]);
    // A checker that extracts nothing would pass every file: the guides hold dozens of blocks.
    if (process.env['DOCS'] === undefined) expect(blocks).to.have.length.of.at.least(40);
    expect(problems.get('') ?? []).to.deep.equal([]);
  });

  for (const file of files) {
    it(`${file}: every ts and js block should type-check as a module of its own`, () => {
      expect([...scans.get(file)!.problems, ...(problems.get(file) ?? [])]).to.deep.equal([]);
    });

    it(`${file}: every relative link should point at a shipped file and heading`, () => {
      const text = readFileSync(join(root, file), 'utf8');
      expect(linkProblems(file, text, shippedDocs(root))).to.deep.equal([]);
    });
  }

  describe('complete programs (marked <!-- run: ... -->)', () => {
    before(makeRunDir);
    after(removeRunDir);

    for (const block of blocks.filter((b) => b.run !== undefined)) {
      it(`${block.file}:${String(block.line)} should run (${block.run ?? ''})`, () =>
        runBlock(block, runDir));
    }
  });
});

/**
 * The checker itself, on Markdown made to pass and made to fail (spec/fixtures/docs/). A writer's
 * quick run (`DOCS=docs/x.md`) leaves it out.
 */
const checkerDescribe = process.env['DOCS'] === undefined ? describe : describe.skip;
checkerDescribe('the docs checker', function () {
  this.timeout(120_000);
  const read = (file: string) => readFileSync(join(fixtures, file), 'utf8');
  const good = ['README.md', 'docs/good.md'].map((file) => scanMarkdown(file, read(file)));
  const broken = scanMarkdown('docs/broken.md', read('docs/broken.md'));
  /** The 1-based number of the first line of a fixture holding the text. */
  const lineNumber = (file: string, text: string) => {
    const index = read(file)
      .split('\n')
      .findIndex((line) => line.includes(text));
    if (index === -1) throw new Error(`${file} holds no ${text}`);
    return index + 1;
  };
  const lineOf = (file: string, text: string) => `${file}:${String(lineNumber(file, text))}:`;
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no failure',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
  before(makeRunDir);
  after(removeRunDir);

  it('should find each ts and js block with its first line and its run comment', () => {
    for (const scan of good) {
      const lines = read(scan.blocks[0]?.file ?? 'README.md').split('\n');
      for (const block of scan.blocks) {
        const size = block.code.split('\n').length;
        expect(lines[block.line - 2]).to.equal(`\`\`\`${block.lang}`);
        expect(lines.slice(block.line - 1, block.line - 1 + size).join('\n')).to.equal(block.code);
        expect(lines[block.line - 1 + size]).to.equal('```');
      }
    }
    expect(good[1]!.blocks.map((b) => [b.lang, b.run])).to.deep.equal([
      ['ts', undefined],
      ['js', undefined],
      ['ts', 'serve /events'],
      ['ts', 'serve /events'],
      ['js', 'exit'],
      ['ts', 'mocha'],
      ['ts', 'node-test'],
    ]);
    expect(good.flatMap((scan) => scan.problems)).to.deep.equal([]);
  });

  it('should report a code fence it would not check', () => {
    expect(broken.problems).to.deep.equal([
      `${lineOf('docs/broken.md', '```typescript')} a \`\`\`typescript fence is not checked: code blocks must be \`\`\`ts or \`\`\`js at the start of the line`,
    ]);
  });

  it('should pass blocks that compile, NestJS decorators included', () => {
    const found = typeCheck(good.flatMap((scan) => scan.blocks));
    expect([...found.values()].flat()).to.deep.equal([]);
  });

  it('should report a type error, an unknown name and a checkJs error at their lines', () => {
    const found = typeCheck(broken.blocks).get('docs/broken.md') ?? [];
    expect(found).to.have.length(3);
    expect(found[0]).to.equal(
      `${lineOf('docs/broken.md', "= 'ten'")} Type 'string' is not assignable to type 'number'.`,
    );
    expect(found[1]).to.match(/^docs\/broken\.md:\d+: Cannot find name 'events\$'/);
    expect(found[1]?.startsWith(lineOf('docs/broken.md', 'events$)'))).to.be.true;
    expect(found[2]).to.match(/^docs\/broken\.md:\d+: Type '42' has no properties in common/);
    expect(found[2]?.startsWith(lineOf('docs/broken.md', 'encode(42)'))).to.be.true;
  });

  it('should report links to a missing file, a missing heading and a file not shipped', () => {
    const targets = shippedDocs(fixtures);
    const file = 'docs/broken.md';
    expect(linkProblems(file, read(file), targets)).to.deep.equal([
      `${lineOf(file, '(missing.md)')} missing.md: docs/missing.md does not exist`,
      `${lineOf(file, '(good.md#no-such-heading)')} good.md#no-such-heading: docs/good.md has no heading with the anchor #no-such-heading`,
      `${lineOf(file, '(../samples/notes.txt)')} ../samples/notes.txt: samples/notes.txt is not shipped in the package; name it as code (\`samples/notes.txt\` in the repository) instead of linking it`,
      `${lineOf(file, '(../../README.md)')} ../../README.md: points outside the package`,
    ]);
    for (const name of ['README.md', 'docs/good.md']) {
      expect(linkProblems(name, read(name), targets)).to.deep.equal([]);
    }
  });

  for (const block of good[1]!.blocks.filter((b) => b.run !== undefined)) {
    it(`should run a program that works (${block.run ?? ''})`, () => runBlock(block, runDir));
  }

  it('should fail a program that fails: an exit code, a refusal, a failing test, an unknown run', async () => {
    const runs = broken.blocks.filter((b) => b.run !== undefined);
    const messages = await Promise.all(runs.map((block) => failure(runBlock(block, runDir))));
    const at = (block: CodeBlock) => `docs/broken.md:${String(block.line)}:`;
    expect(runs.map((b) => b.run)).to.deep.equal(['exit', 'serve /events', 'mocha', 'teleport']);
    expect(messages.map((message, i) => message.startsWith(at(runs[i]!)))).to.deep.equal([
      true,
      true,
      true,
      true,
    ]);
    expect(messages[0]).to.match(/exited with 1[\s\S]*the program fails/);
    expect(messages[1]).to.contain('GET /events answered 404');
    expect(messages[2]).to.match(/exited with [1-9]/);
    expect(messages[3]).to.contain('"run: teleport" is no run kind');
  });
});
