// rx-sse/browser, rx-sse/client and rxjs as ES modules a page imports by name, with no bundler
// and no build:
// a development convenience for this sample and its spec.
//
// - `rx-sse/browser` and `rx-sse/client`: the TypeScript in src/browser/ and src/client/, turned
//   into JavaScript once, when this module
//   loads, with `typescript`'s transpileModule (types stripped, nothing bundled), so a fresh clone
//   runs without `npm run build`; with the two shared modules it imports (src/check.ts and
//   src/describe.ts, which import nothing of node). In production, serve `node_modules/rx-sse/dist/`
//   as it is (what `npm run build` makes; `browser/` imports only `rxjs`, `../check.js` and
//   `../describe.js`), or let a bundler resolve the import.
// - `rxjs`: its ESM files import each other without a `.js` extension, which a browser cannot
//   resolve, so they cannot be served raw. Its UMD bundle (one file) can: wrapped here so that it
//   sets no global, and followed by an `export` of every name `rxjs` exports. In production, map
//   `rxjs` to any ESM build of it, or bundle.
// - The import map that names both: put it in the page's <head>, before any module script.
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as rxjs from 'rxjs';
import ts from 'typescript';

/** Modules served to pages (`rxjs`, `rx-sse/browser`, `rx-sse/client`), and their import map. */
export interface BrowserModules {
  /** `<script type="importmap">` mapping `rxjs` and `rx-sse/browser`, for the page's <head>. */
  importMap: string;
  /** Sends the module at the request's path, if it is one: false when it is not (a 404 is yours). */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

const sources = new URL('../../src/', import.meta.url);

/**
 * The modules rx-sse/browser is made of, as JavaScript, by path under src/ (`browser/index.js`,
 * ...): every file of src/browser/, and the shared checks it imports from src/ (which import
 * nothing of node).
 */
function transpileBrowserSources(): Map<string, string> {
  const folder = (name: string): string[] =>
    readdirSync(new URL(`${name}/`, sources))
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
      .map((file) => `${name}/${file}`);
  // rx-sse/client too: it imports nothing but rxjs, web APIs and the wire's field rule.
  const files = [
    ...folder('browser'),
    ...folder('client'),
    'wire/fieldValue.ts',
    'check.ts',
    'describe.ts',
  ];
  const modules = new Map<string, string>();
  for (const file of files) {
    const source = readFileSync(new URL(file, sources), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
      },
    });
    modules.set(file.replace(/\.ts$/, '.js'), outputText);
  }
  return modules;
}

/** rxjs's UMD bundle as an ES module exporting what `import ... from 'rxjs'` offers. */
function rxjsModule(): string {
  const packageJson = createRequire(import.meta.url).resolve('rxjs/package.json');
  const umd = readFileSync(
    join(dirname(packageJson), 'dist/bundles/rxjs.umd.min.js'),
    'utf8',
  ).replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const names = Object.keys(rxjs).filter((name) => name !== 'default' && name !== '__esModule');
  // The UMD sets `this.rxjs` when it finds no CommonJS or AMD: `this` is a private object here,
  // and the parameters hide any global `define`, `exports` or `module` a page may have.
  return [
    'const scope = {};',
    '(function (define, exports, module) {',
    umd,
    '}).call(scope);',
    `export const { ${names.join(', ')} } = scope.rxjs;`,
    '',
  ].join('\n');
}

/**
 * Serves `rxjs` and `rx-sse/browser` under `prefix` (default `/modules/`) as ES modules, built
 * once when called.
 */
export function browserModules(prefix = '/modules/'): BrowserModules {
  const files = new Map<string, string>([[`${prefix}rxjs.js`, rxjsModule()]]);
  for (const [name, code] of transpileBrowserSources()) {
    files.set(`${prefix}rx-sse/${name}`, code);
  }
  const imports = {
    rxjs: `${prefix}rxjs.js`,
    'rx-sse/browser': `${prefix}rx-sse/browser/index.js`,
    'rx-sse/client': `${prefix}rx-sse/client/index.js`,
  };
  return {
    importMap: `<script type="importmap">${JSON.stringify({ imports }).replace(/</g, '\\u003c')}</script>`,
    serve(req, res) {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      const code = files.get(pathname);
      if (code === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : code);
      return true;
    },
  };
}
