import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A module's text without its comments, so that words in prose are not taken for code. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module reachable from `entry` through static and dynamic imports, with what each imports. */
function reachable(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const visit = (path: string): void => {
    if (found.has(path)) return;
    const specifiers = [
      ...code(path).matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g),
    ].map((match) => match[1]!);
    found.set(path, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(join(dirname(path), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return found;
}

describe('rx-sse/client: browser-safe', () => {
  const modules = reachable(join(root, 'src/client/index.ts'));

  it('should reach the client’s modules and the shared checks, and nothing else', () => {
    const names = [...modules.keys()].map((path) => relative(root, path));
    expect(names).to.include.members([
      'src/client/fromSse.ts',
      'src/client/sseRequest.ts',
      'src/check.ts',
      'src/describe.ts',
      'src/wire/fieldValue.ts',
    ]);
    for (const name of names) {
      expect(name, name).to.match(/^src\/(client\/[\w]+|check|describe|wire\/fieldValue)\.ts$/);
    }
  });

  it('should import nothing but rxjs and its own relative modules (no node: module)', () => {
    for (const [path, specifiers] of modules) {
      for (const specifier of specifiers) {
        expect(specifier, relative(root, path)).to.match(/^(rxjs|\.\.?\/.*\.js)$/);
      }
    }
  });

  it('should use no Node global (Buffer, process, require, __dirname, global)', () => {
    for (const path of modules.keys()) {
      const used = code(path).match(/\b(Buffer|process|require|__dirname|__filename|global)\b/);
      expect(used?.[0], relative(root, path)).to.equal(undefined);
    }
  });

  it('should find node imports and Buffer in the server (the checks can fail)', () => {
    const server = reachable(join(root, 'src/index.ts'));
    const specifiers = [...server.values()].flat();
    expect(specifiers.some((specifier) => specifier.startsWith('node:'))).to.equal(true);
    expect([...server.keys()].some((path) => /\bBuffer\b/.test(code(path)))).to.equal(true);
  });
});
