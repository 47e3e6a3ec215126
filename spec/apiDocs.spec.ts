import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Application,
  Logger,
  LogLevel,
  PackageJsonReader,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
  type Comment,
  type DeclarationReflection,
  type ProjectReflection,
} from 'typedoc';
import { compileSnippets } from './support/snippets.js';

const root = join(import.meta.dirname, '..');

/** Keeps every warning and error TypeDoc reports, to show them all when there are any. */
class Collector extends Logger {
  readonly problems: string[] = [];
  override log(message: string, level: LogLevel): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.problems.push(`[${LogLevel[level]}] ${message}`);
  }
}

interface Run {
  project: ProjectReflection;
  problems: string[];
  /** The files written, relative to the output directory. */
  written: string[];
}

/**
 * What `npm run docs` does, with typedoc.json as it is: convert, validate (notExported,
 * invalidLink, invalidPath, notDocumented), and render, into a temporary directory rather than
 * docs/api/.
 */
async function runTypeDoc(): Promise<Run> {
  const out = await mkdtemp(join(tmpdir(), 'rx-sse-api-'));
  try {
    const app = await Application.bootstrapWithPlugins(
      { options: join(root, 'typedoc.json'), out },
      [new TypeDocReader(), new PackageJsonReader(), new TSConfigReader()],
    );
    const collector = new Collector();
    const early = app.logger.hasErrors() || app.logger.hasWarnings();
    app.logger = collector;
    if (early) collector.problems.push('reading the options reported problems (printed above)');
    const project = await app.convert();
    if (project === undefined)
      throw new Error(`TypeDoc did not convert:\n${collector.problems.join('\n')}`);
    app.validate(project);
    await app.generateOutputs(project);
    const written = await readdir(out, { recursive: true });
    return { project, problems: collector.problems, written };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The `ts` code blocks of a comment: its summary and its block tags (`@example`, `@throws`…). */
function codeBlocks(comment: Comment | undefined): string[] {
  if (comment === undefined) return [];
  const parts = [...comment.summary, ...comment.blockTags.flatMap((tag) => tag.content)];
  return parts
    .filter((part) => part.kind === 'code')
    .map((part) => /^```ts\n([\s\S]*)\n```$/.exec(part.text)?.[1])
    .filter((code) => code !== undefined);
}

function child(project: ProjectReflection, module: string, name: string): DeclarationReflection {
  const found = project.getChildByName([module, name]);
  expect(found, `${module}: ${name}`).to.not.equal(undefined);
  return found as DeclarationReflection;
}

describe('the API reference (npm run docs)', function () {
  // TypeDoc type-checks src/ and renders every page: about 10 s.
  this.timeout(120_000);
  let run: Run;

  before(async () => {
    run = await runTypeDoc();
  });

  it('should build with no warning and no error: every public symbol documented, every link resolved', () => {
    expect(run.problems.join('\n\n')).to.equal('');
    expect(run.written).to.include('index.html');
  });

  it("should have one module per entry point of package.json's exports", async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const subpaths = Object.keys(manifest.exports).filter((key) => key !== './package.json');
    const expected = subpaths.map((key) => (key === '.' ? 'rx-sse' : `rx-sse/${key.slice(2)}`));
    const modules = run.project.getChildrenByKind(ReflectionKind.Module).map((m) => m.name);
    expect(modules).to.have.members(expected);
  });

  it('should document the symbols a user looks up first, with their parameters and errors', () => {
    const { project } = run;
    const sse = child(project, 'rx-sse', 'sse');
    const [signature] = sse.signatures ?? [];
    expect(signature?.parameters?.map((p) => p.name)).to.deep.equal(['handler', 'options']);
    expect(signature?.comment?.getTag('@throws')).to.not.equal(undefined);

    const event = child(project, 'rx-sse', 'SseEvent');
    const type = event.getChildByName('type');
    expect(type?.comment?.summary.map((part) => part.text).join('')).to.match(/NestJS/);

    const fromSse = child(project, 'rx-sse/client', 'fromSse');
    expect(fromSse.signatures, 'with decode, and without').to.have.lengthOf(2);
    for (const overload of fromSse.signatures ?? []) {
      expect(overload.comment?.getTag('@returns'), overload.name).to.not.equal(undefined);
    }
    expect(child(project, 'rx-sse/browser', 'fromEventSource').signatures).to.have.lengthOf(2);

    const httpError = child(project, 'rx-sse', 'HttpError');
    expect(httpError.kind).to.equal(ReflectionKind.Class);
    const code = httpError.getChildByName('code');
    expect(code?.comment?.summary.map((part) => part.text).join('')).to.include('ERR_SSE_HTTP');
  });

  it('should hold examples that compile as a user would write them', () => {
    const examples = new Map<string, string>();
    for (const reflection of Object.values(run.project.reflections)) {
      const blocks = codeBlocks(reflection.comment);
      for (const [i, code] of blocks.entries()) {
        if ([...examples.values()].includes(code)) continue; // an inherited comment
        const name = `${reflection.getFriendlyFullName()}-${String(i + 1)}`;
        examples.set(name.replace(/[^\w.-]+/g, '-'), code);
      }
    }
    // sse, toResponse, encode, fromSse, createChannel… at the least.
    expect(examples.size).to.be.at.least(10);
    const problems = [...compileSnippets(Object.fromEntries(examples))].flatMap(([name, found]) =>
      found.map((d) => `${name}:${String(d.line)}: ${d.message}`),
    );
    expect(problems.join('\n')).to.equal('');
  });
});
