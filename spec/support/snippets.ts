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

/**
 * Type-checks each snippet as a `.ts` module of its own, in one program under the repository's
 * tsconfig.json, placed inside the repository (never written), so that `rx-sse` and its subpaths
 * resolve to src/ through tsconfig's paths and dev dependencies from node_modules, as a user's
 * imports would. Returns each snippet's diagnostics (syntactic and semantic), by name; the
 * program's own problems (options, globals) throw.
 */
export function compileSnippets(
  snippets: Readonly<Record<string, string>>,
): Map<string, SnippetDiagnostic[]> {
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
  const options = { ...config.options, noEmit: true };
  const files = new Map(
    Object.entries(snippets).map(([name, code]) => [
      join(root, 'spec', '.snippets', `${name}.ts`),
      { name, code },
    ]),
  );
  // The snippets are served from memory; every other file is read from disk as usual.
  const disk = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...disk,
    fileExists: (path) => files.has(path) || disk.fileExists(path),
    readFile: (path) => files.get(path)?.code ?? disk.readFile(path),
    getSourceFile: (path, language, ...rest) => {
      const snippet = files.get(path);
      return snippet !== undefined
        ? ts.createSourceFile(path, snippet.code, language)
        : disk.getSourceFile(path, language, ...rest);
    },
  };
  const program = ts.createProgram([...files.keys()], options, host);
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
