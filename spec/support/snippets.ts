import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

/** One diagnostic of a snippet: where it is, and the whole message chain, joined with LF. */
export interface SnippetDiagnostic {
  /** The 1-based line it starts on. */
  line: number;
  /** The code it flags, as an editor underlines it. */
  text: string;
  /** tsc's number for it: `2322` for "Type … is not assignable to type …". */
  code: number;
  message: string;
}

/** The repository's compiler options (tsconfig.json), as `npm run typecheck` uses them, no emit. */
export function repoCompilerOptions(): ts.CompilerOptions {
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
  if (config === undefined) throw new Error('tsconfig.json could not be read');
  return { ...config.options, noEmit: true };
}

/**
 * A program of `sources` (absolute path to code), served from memory and never written, beside
 * every other file read from disk as usual: placed inside the repository, `rx-sse` resolves to
 * src/ through tsconfig's paths and dev dependencies resolve from node_modules.
 */
export function inMemoryProgram(
  sources: ReadonlyMap<string, string>,
  options: ts.CompilerOptions,
): ts.Program {
  const disk = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...disk,
    fileExists: (path) => sources.has(path) || disk.fileExists(path),
    readFile: (path) => sources.get(path) ?? disk.readFile(path),
    getSourceFile: (path, language, ...rest) => {
      const code = sources.get(path);
      return code !== undefined
        ? ts.createSourceFile(path, code, language)
        : disk.getSourceFile(path, language, ...rest);
    },
  };
  return ts.createProgram([...sources.keys()], options, host);
}

/**
 * Type-checks each snippet as a `.ts` module of its own, in one program under the repository's
 * tsconfig.json (see {@link inMemoryProgram}). Returns each snippet's diagnostics (syntactic and
 * semantic), by name; the program's own problems (options, globals) throw.
 */
export function compileSnippets(
  snippets: Readonly<Record<string, string>>,
): Map<string, SnippetDiagnostic[]> {
  const files = new Map(
    Object.entries(snippets).map(([name, code]) => [
      join(root, 'spec', '.snippets', `${name}.ts`),
      { name, code },
    ]),
  );
  const program = inMemoryProgram(
    new Map([...files].map(([path, { code }]) => [path, code])),
    repoCompilerOptions(),
  );
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) {
    const text = global.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`the snippets' program has problems:\n${text.join('\n')}`);
  }
  const result = new Map<string, SnippetDiagnostic[]>();
  for (const [path, { name }] of files) {
    const source = program.getSourceFile(path);
    if (source === undefined) throw new Error(`${name}: not in the program`);
    const found = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    result.set(
      name,
      found.map((d) => ({
        line: source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
        text: source.text.slice(d.start ?? 0, (d.start ?? 0) + (d.length ?? 0)),
        code: d.code,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      })),
    );
  }
  return result;
}
