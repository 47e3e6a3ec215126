import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * Every `ts` block of docs/resumable.md, type-checked as a user's module importing the package by
 * its name (each block a file of its own, in a project whose node_modules holds rx-sse and rxjs).
 */
describe('docs/resumable.md', function () {
  this.timeout(60_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'rx-sse-docs-'));
    await mkdir(join(work, 'node_modules'));
    await symlink(root, join(work, 'node_modules', 'rx-sse'), 'dir');
    for (const name of ['rxjs', 'redis', '@redis', '@types']) {
      await symlink(join(root, 'node_modules', name), join(work, 'node_modules', name), 'dir');
    }
    await writeFile(join(work, 'package.json'), '{ "type": "module" }');
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('should have examples that type-check against the package', async () => {
    const text = await readFile(join(root, 'docs', 'resumable.md'), 'utf8');
    const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
    expect(blocks).to.have.length.of.at.least(2);
    const files = blocks.map((_, i) => join(work, `example${String(i)}.ts`));
    await Promise.all(blocks.map((block, i) => writeFile(files[i] ?? '', block)));
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      customConditions: ['rx-sse-source'],
      types: ['node'],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
    });
    // The examples' own problems only: the package's sources are checked by its typecheck.
    const problems = files.flatMap((file) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(file))
        .map((d) => `${file}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
    );
    expect(problems).to.deep.equal([]);
  });
});
