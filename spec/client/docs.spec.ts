import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The `ts` code blocks of a markdown file, with the line each starts at. */
function blocks(markdown: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1] !== '```') i++;
    found.push({ line: start + 1, code: lines.slice(start, i + 1).join('\n') });
    i++;
  }
  return found;
}

describe('docs/client.md', function () {
  this.timeout(60_000);

  it('should hold code blocks that type-check against the package, each as a module of its own', () => {
    const markdown = readFileSync(join(root, 'docs/client.md'), 'utf8');
    const found = blocks(markdown);
    expect(found.length).to.be.at.least(4);
    // Each block is a file in spec/client, so that 'rx-sse/client' resolves as in a user's project
    // (the package's own exports, with the source condition of tsconfig.json).
    const files = new Map(
      found.map((b) => [join(root, `spec/client/docs.block${String(b.line)}.ts`), b]),
    );
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    const options = { ...config!.options, noEmit: true };
    // The blocks are served from memory; every other file is read as usual.
    const disk = ts.createCompilerHost(options);
    const host: ts.CompilerHost = {
      ...disk,
      fileExists: (name) => files.has(name) || disk.fileExists(name),
      readFile: (name) => files.get(name)?.code ?? disk.readFile(name),
      getSourceFile: (name, language, ...rest) => {
        const block = files.get(name);
        return block !== undefined
          ? ts.createSourceFile(name, block.code, language)
          : disk.getSourceFile(name, language, ...rest);
      },
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.has(d.file.fileName))
      .map((d) => {
        const block = files.get(d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `docs/client.md:${String(block.line + line)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).to.deep.equal([]);
  });
});
